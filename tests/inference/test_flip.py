"""Test-time flip: each embedding is the mean of the raw embeddings of the image and of its
mirror (``images[:, :, ::-1]``), for a Keras encoder, a SavedModel export and an export made
with flip (which averages in its graph and is never flipped again), and through ``tfreid
embed --flip`` and ``tfreid evaluate --flip``.

Tolerances: where the same kernels run on the same batches the result is exact (the two-call
path against embedding both by hand). A doubled batch (image and mirror in one call), or the
traced graph of an export against eager Keras, may add up in another order: within
``network_terms`` of the encoder (``tests/tolerances.py``).
"""

import dataclasses
import json

import numpy as np
import pytest

from tests.helpers import the_error_line
from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import keras
from tfreid.cli.main import main
from tfreid.data import load_split
from tfreid.errors import ConfigError
from tfreid.evaluation import embed, score_held_out
from tfreid.export.saved_model import export_saved_model
from tfreid.inference.embedder import Embedder, embedder_for
from tfreid.inference.saved_model import read_metadata
from tfreid.models.table1_cnn import table1_cnn


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(6)
    return table1_cnn((40, 40, 3), 8, width=0.5)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(7).integers(0, 256, (12, 40, 40, 3)).astype(np.uint8)


@pytest.fixture(scope="module")
def exports(tmp_path_factory, encoder):
    """(plain export, flip export) of ``encoder``."""
    folder = tmp_path_factory.mktemp("flip_exports")
    return (export_saved_model(encoder, folder / "plain"),
            export_saved_model(encoder, folder / "flip", flip=True))


def by_hand(embedder: Embedder, images: np.ndarray, batch_size: int = 8) -> np.ndarray:
    """The mean of the embeddings of ``images`` and of their mirrors, each embedded alone."""
    images = np.asarray(images)
    plain = embedder.embed(images, batch_size)
    mirrored = embedder.embed(np.ascontiguousarray(images[:, :, ::-1]), batch_size)
    return (plain + mirrored) / np.float32(2)


def symmetric(images: np.ndarray) -> np.ndarray:
    """``images`` whose right half mirrors the left one: each equals its mirror."""
    half = images[:, :, : images.shape[2] // 2]
    return np.concatenate([half, half[:, :, ::-1]], axis=2)


def test_flip_averages_the_image_and_its_mirror_in_one_doubled_batch():
    sizes = []

    def run(batch: np.ndarray) -> np.ndarray:  # the left column's first pixel: not symmetric
        sizes.append(len(batch))
        return batch[:, :, 0, 0].astype(np.float32)

    images = np.random.default_rng(8).integers(0, 256, (5, 4, 6, 3)).astype(np.uint8)
    plain = Embedder(run, None, 4, "left")
    flipped = plain.with_flip()
    expected = (images[:, :, 0, 0] + images[:, :, -1, 0].astype(np.float32)) / 2
    np.testing.assert_array_equal(flipped.embed(images, batch_size=3), expected)
    assert sizes == [6, 4] and flipped.name == "left+flip" and flipped.flips
    assert flipped.with_flip() is flipped and not plain.flip  # a copy; flipping is idempotent
    sizes.clear()
    two_calls = dataclasses.replace(flipped, doubles_batch=False)
    np.testing.assert_array_equal(two_calls.embed(images, batch_size=3), expected)
    assert sizes == [3, 3, 2, 2]


@pytest.mark.numeric  # a doubled batch may add up in another order than two calls
def test_keras_flip_equals_embedding_both_by_hand(encoder, images):
    flipped = embedder_for(encoder, flip=True)
    expected = by_hand(embedder_for(encoder), images)
    assert not np.allclose(expected, embedder_for(encoder).embed(images, 8), atol=1e-3)
    assert_float32_close(flipped.embed(images, 8), expected, *network_terms(encoder))
    two_calls = dataclasses.replace(flipped, doubles_batch=False)  # the same kernels: exact
    np.testing.assert_array_equal(two_calls.embed(images, 8), expected)
    np.testing.assert_array_equal(embed(encoder, images, 8, flip=True), flipped.embed(images, 8))


@pytest.mark.numeric
def test_a_symmetric_image_embeds_alike_with_and_without_flip(encoder, exports, images):
    mirror_free = symmetric(images)
    np.testing.assert_array_equal(mirror_free, mirror_free[:, :, ::-1])
    for model in (encoder, exports[0]):
        plain = embedder_for(model).embed(mirror_free, 8)
        flipped = embedder_for(model, flip=True)
        assert_float32_close(flipped.embed(mirror_free, 8), plain, *network_terms(encoder))
        two_calls = dataclasses.replace(flipped, doubles_batch=False)
        np.testing.assert_array_equal(two_calls.embed(mirror_free, 8), plain)


@pytest.mark.numeric  # the export's traced graph against eager Keras
def test_flip_export_equals_flip_of_the_plain_export_and_of_keras(encoder, exports, images):
    plain, flip = exports
    assert read_metadata(flip)["flip"] is True and "flip" not in read_metadata(plain)
    from_flip_export = embedder_for(flip)
    assert from_flip_export.flips_inside and not from_flip_export.flip  # no double flip
    embedded = from_flip_export.embed(images, 8)
    terms = network_terms(encoder)
    assert_float32_close(embedded, embedder_for(plain, flip=True).embed(images, 8), *terms)
    assert_float32_close(embedded, by_hand(embedder_for(plain), images), *terms)
    assert_float32_close(embedded, by_hand(embedder_for(encoder), images), *terms)
    other_size = np.random.default_rng(9).integers(0, 256, (3, 48, 36, 3)).astype(np.uint8)
    assert_float32_close(from_flip_export.embed(other_size), by_hand(embedder_for(plain),
                                                                      other_size), *terms)
    with pytest.raises(ConfigError, match="exported with --flip"):
        embedder_for(flip, flip=True)


def test_embed_flip_writes_the_flip_embeddings(tmp_path, exports, tiny_dataset, encoder,
                                               capsys):
    out = tmp_path / "gallery.npz"
    assert main(["embed", str(exports[0]), "--flip", "--dataset", str(tiny_dataset), "--out",
                 str(out)]) == 0
    saved = np.load(out)
    gallery = load_split(tiny_dataset, "gallery", (40, 40))
    assert_float32_close(saved["embeddings"], by_hand(embedder_for(exports[0]), gallery.images),
                         *network_terms(encoder))
    assert str(saved["model"]).endswith("+flip")
    capsys.readouterr()
    assert main(["embed", str(exports[1]), "--flip", "--dataset", str(tiny_dataset), "--out",
                 str(tmp_path / "twice.npz")]) == 2
    assert "exported with --flip" in the_error_line(capsys.readouterr().err)


def test_evaluate_flip_scores_the_flip_embeddings(tmp_path, exports, tiny_dataset, capsys):
    out = tmp_path / "report.json"
    assert main(["evaluate", str(exports[0]), "--flip", "--dataset", str(tiny_dataset),
                 "--out", str(out)]) == 0
    assert "(test-time flip)" in capsys.readouterr().out
    report = json.loads(out.read_text())
    query, gallery = (load_split(tiny_dataset, name, (40, 40)) for name in ("query", "gallery"))
    plain = embedder_for(exports[0])
    expected = score_held_out(by_hand(plain, query.images), query,
                              by_hand(plain, gallery.images), gallery)
    assert report["flip"] is True
    for name in ("rank1", "mAP", "map_at_r", "r_precision", "mrr", "recall_at_1", "nmi", "ami"):
        assert report[name] == pytest.approx(expected[name], abs=1e-6), name
    assert main(["evaluate", str(exports[1]), "--dataset", str(tiny_dataset), "--out",
                 str(out), "--overwrite"]) == 0
    assert json.loads(out.read_text())["flip"] is True  # the flip export flips itself


def test_export_float_only_flip_writes_a_flip_export(tmp_path, encoder, exports, images,
                                                     capsys):
    run = tmp_path / "run"
    run.mkdir()
    encoder.save(run / "encoder.keras")
    out = tmp_path / "flip"
    assert main(["export", str(run), "--float-only", "--flip", "--out", str(out)]) == 0
    assert read_metadata(out)["flip"] is True and embedder_for(out).flips_inside
    assert_float32_close(embedder_for(out).embed(images, 8), embedder_for(exports[1]).embed(
        images, 8), *network_terms(encoder))


@pytest.mark.parametrize("argv, message", [
    (["export", "run", "--flip"], "--flip needs --float-only"),
    (["export", "run", "--float-only", "--flip", "--onnx"],
     "--onnx with --flip is not supported yet"),
])
def test_export_refuses_flip_where_unsupported(capsys, argv, message):
    assert main(argv) == 2
    assert message in the_error_line(capsys.readouterr().err)

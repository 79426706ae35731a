"""The one Embedder: a Keras encoder and its SavedModel export agree, one batching rule, one
finiteness check, and every form of images gives the same embeddings."""

import numpy as np
import pytest

from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import keras
from tfreid.data.record_images import stream_split
from tfreid.data.split_images import ArrayImages
from tfreid.errors import ConfigError, DataError, TrainingError
from tfreid.evaluation import embed
from tfreid.export.saved_model import export_saved_model
from tfreid.inference.embedder import (
    EMBEDDING_PIXELS,
    NON_FINITE,
    Embedder,
    batch_size_for,
    embedder_for,
)
from tfreid.models.table1_cnn import table1_cnn


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(4)
    return table1_cnn((40, 40, 3), 8, width=0.5)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(5).integers(0, 256, (21, 40, 40, 3)).astype(np.uint8)


def recording(dim: int = 3, value: float | None = None) -> tuple[Embedder, list[int]]:
    """An Embedder of any image size whose model gives each image's channel means (or
    ``value``), recording the batch sizes it was given."""
    sizes = []

    def run(batch: np.ndarray) -> np.ndarray:
        sizes.append(len(batch))
        means = batch.mean(axis=(1, 2), dtype=np.float64)[:, :dim]
        return means if value is None else np.full_like(means, value)

    return Embedder(run, None, dim, "recording"), sizes


@pytest.mark.numeric  # the SavedModel's graph against the eager Keras model
def test_keras_and_saved_model_give_equal_embeddings(tmp_path, encoder, images):
    export = export_saved_model(encoder, tmp_path / "export")
    from_export = embedder_for(export)
    from_keras = embedder_for(encoder)
    assert (from_export.image_size, from_export.dim) == ((40, 40), 8) == (
        from_keras.image_size, from_keras.dim)
    assert from_export.name == f"saved_model:{export.resolve()}"
    exported = from_export.embed(images, batch_size=8)
    in_memory = from_keras.embed(images, batch_size=8)
    # the same kernels, summed in another order by the traced graph than eagerly
    assert_float32_close(exported, in_memory, *network_terms(encoder))
    np.testing.assert_array_equal(embed(encoder, images, 8), in_memory)  # evaluation's embed
    assert from_export.embed(np.zeros((0, 40, 40, 3), np.uint8)).shape == (0, 8)


def test_one_batching_rule():
    assert EMBEDDING_PIXELS == 128 * 128 * 128
    assert batch_size_for((90, 90)) == 256 and batch_size_for((16, 16)) == 256  # at most
    assert batch_size_for((128, 128)) == 128 and batch_size_for((256, 256)) == 32
    assert batch_size_for((1024, 1024)) == 8  # never fewer than 8
    embedder, sizes = recording()
    embedder.embed(np.zeros((300, 128, 128, 3), np.uint8))
    assert sizes == [128, 128, 44]
    sizes.clear()
    embedder.embed(np.zeros((300, 64, 64, 3), np.uint8), batch_size=100)
    assert sizes == [100, 100, 100]


def test_one_finiteness_check():
    embedder, _ = recording(value=np.nan)
    with pytest.raises(TrainingError) as error:
        embedder.embed(np.zeros((3, 8, 8, 3), np.uint8))
    assert str(error.value) == NON_FINITE == ("the model gives non-finite embeddings "
                                              "(diverged training?)")


def test_every_form_of_images_gives_the_same_embeddings(encoder, tiny_dataset, capsys):
    on_disk = stream_split(tiny_dataset, "gallery", (40, 40)).images
    pixels = np.concatenate(list(on_disk.batches(8)))
    batches = [pixels[start:start + 8] for start in range(0, len(pixels), 8)]
    embedder = embedder_for(encoder)
    expected = embedder.embed(on_disk, batch_size=8)
    assert expected.shape == (len(pixels), 8)
    for images in [ArrayImages(pixels), pixels, batches, iter(batches)]:
        np.testing.assert_array_equal(embedder.embed(images, batch_size=8), expected)
    np.testing.assert_array_equal(embedder.embed(batches, progress=True), expected)
    assert f"embedded {len(pixels)}/{len(pixels)} images" in capsys.readouterr().err


def test_what_cannot_embed(tmp_path, encoder):
    with pytest.raises(DataError, match="images of 16x16 px given to a model of 40x40 px"):
        embedder_for(encoder).embed(np.zeros((2, 16, 16, 3), np.uint8))
    with pytest.raises(DataError, match="neither a tfreid SavedModel export nor a .tflite"):
        embedder_for(tmp_path)
    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(DataError, match="is not a tfreid export \\(no tfreid.json\\)"):
        embedder_for(tmp_path)
    with pytest.raises(DataError, match="not a valid TFLite model"):
        embedder_for(b"not a flatbuffer")
    with pytest.raises(ConfigError, match="cannot embed with a dict"):
        embedder_for({})

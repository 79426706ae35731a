"""An index built from a Keras encoder, its SavedModel export and a TFLite int8 model."""

import json

import numpy as np
import pytest

from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import keras
from tfreid.compression.quantization import quantize_encoder
from tfreid.compression.tflite import to_tflite
from tfreid.errors import DataError
from tfreid.export.saved_model import export_saved_model
from tfreid.models import table1_cnn
from tfreid.retrieval import EmbeddingIndex, embed_batches, embedder_for

pytestmark = pytest.mark.numeric  # SavedModel and TFLite embedders against Keras


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(1)
    return table1_cnn((40, 40, 3), 8, width=0.5)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(2).integers(0, 256, (30, 40, 40, 3)).astype(np.uint8)


@pytest.mark.slow
def test_keras_and_saved_model_indexes_agree(tmp_path, encoder, images, capsys):
    export_saved_model(encoder, tmp_path / "export")
    ids = np.arange(30) % 5
    from_keras = EmbeddingIndex.build(encoder, images[:20], ids[:20], batch_size=8)
    from_export = EmbeddingIndex.build(str(tmp_path / "export"), images[:20], ids[:20],
                                       batch_size=7)
    assert "embedded 20/20 images" in capsys.readouterr().err  # progress: stderr, not stdout
    expected = np.asarray(encoder(images, training=False))
    exported = embed_batches(embedder_for(tmp_path / "export"), images, progress=False)
    terms, layers = network_terms(encoder)
    assert_float32_close(exported, expected, terms, layers)
    a, b = from_keras.search(expected[20:], 4), from_export.search(expected[20:], 4)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert_float32_close(b.distances, a.distances, terms, layers + 1)  # + the distance
    assert from_export.source == f"saved_model:{(tmp_path / 'export').resolve()}"
    from_export.save(tmp_path / "index")
    saved = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert saved["source"] == from_export.source and saved["count"] == 20


@pytest.mark.slow
def test_tflite_int8_model_builds_an_index(tmp_path, encoder, images):
    qat = quantize_encoder(encoder, "all", calibration_images=images.astype(np.float32))
    path = tmp_path / "model.tflite"
    path.write_bytes(to_tflite(qat, "int8"))
    embedder = embedder_for(path)
    assert embedder.image_size == (40, 40) and embedder.dim == 8
    index = EmbeddingIndex.build(path, images, np.arange(30) % 5, progress=False)
    assert index.source == f"tflite:{path.resolve()}" and len(index) == 30
    expected = qat(images.astype(np.float32), training=False).numpy()
    got = embed_batches(embedder, images, batch_size=11, progress=False)
    step = np.abs(expected).max() / 64  # a few int8 output steps
    assert np.abs(got - expected).max() <= 4 * step
    found = index.search(got[:5], 30)  # each image finds its own entry at distance 0
    for row in range(5):
        assert row in found.indices[row][found.distances[row] == 0.0]


def test_what_cannot_embed(tmp_path, encoder):
    (tmp_path / "folder").mkdir()
    with pytest.raises(DataError, match="neither a tfreid SavedModel"):
        embedder_for(tmp_path / "folder")
    with pytest.raises(DataError, match="images of 16x16 px given to a model of 40x40"):
        embed_batches(embedder_for(encoder), np.zeros((2, 16, 16, 3), np.uint8))


@pytest.mark.parametrize("content", [b"", b"not a flatbuffer at all", b"TFL3" + bytes(60)])
def test_a_damaged_tflite_model_is_named(tmp_path, content):
    (tmp_path / "m.tflite").write_bytes(content)
    with pytest.raises(DataError) as error:
        embedder_for(tmp_path / "m.tflite")
    assert str(error.value) == (f"{tmp_path / 'm.tflite'} is not a valid TFLite model "
                                "(damaged, truncated, or not a .tflite file); export it again "
                                "with tfreid export")


def test_a_damaged_export_metadata_is_named(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "saved_model.pb").write_bytes(b"")  # read after tfreid.json
    (tmp_path / "export" / "tfreid.json").write_text("{")
    with pytest.raises(DataError, match=r"export/tfreid.json is damaged \(Expecting property "
                                        r"name .*\); export it again with tfreid export"):
        embedder_for(tmp_path / "export")

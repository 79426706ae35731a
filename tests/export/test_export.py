import json

import numpy as np
import pytest

from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import tf
from tfreid.data.images import resize_images
from tfreid.export import export_saved_model
from tfreid.models import build_encoder

pytestmark = pytest.mark.numeric  # SavedModel graphs against the Keras model


@pytest.fixture(scope="module")
def encoder():
    return build_encoder("siamese_base", (48, 40), 12)


def test_saved_model_round_trip(tmp_path, encoder):
    path = export_saved_model(encoder, tmp_path / "export", metadata={"run": "test"})
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    images = np.random.default_rng(0).integers(0, 256, (5, 97, 61, 3), dtype=np.uint8)
    exported = serve(images=tf.constant(images))["embeddings"].numpy()
    in_memory = encoder(resize_images(images, (48, 40)), training=False).numpy()
    assert exported.shape == (5, 12)
    assert_float32_close(exported, in_memory, *network_terms(encoder))  # graph vs eager
    info = json.loads((path / "tfreid.json").read_text())
    assert info["image_size"] == [48, 40] and info["embedding_dim"] == 12 and info["run"] == "test"


@pytest.mark.slow
def test_export_accepts_any_size(tmp_path, encoder):
    serve = tf.saved_model.load(str(export_saved_model(encoder, tmp_path / "e"))).signatures[
        "serving_default"]
    for shape in [(1, 48, 40, 3), (2, 300, 20, 3)]:
        assert serve(images=tf.zeros(shape, tf.uint8))["embeddings"].shape == (shape[0], 12)


def test_failed_export_keeps_the_old_one(tmp_path, encoder, monkeypatch):
    target = export_saved_model(encoder, tmp_path / "export")
    before = sorted(p.name for p in target.rglob("*"))

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", broken_save)
    with pytest.raises(OSError):
        export_saved_model(encoder, target, overwrite=True)
    assert sorted(p.name for p in target.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


@pytest.mark.slow
def test_correlation_graph_of_an_export(tmp_path, encoder, tiny_dataset, capsys):
    from tfreid.cli.correlation_graph import main
    from tfreid.data import load_split
    from tfreid.export.embedding import embed_with_export

    export = export_saved_model(encoder, tmp_path / "export")
    images = load_split(tiny_dataset, "gallery", (48, 40)).images
    assert_float32_close(embed_with_export(export, images),
                         encoder(images, training=False).numpy(), *network_terms(encoder))
    assert main([str(export), "--dataset", str(tiny_dataset)]) == 0
    assert "features connected" in capsys.readouterr().out
    assert (export / "correlation_graph.png").exists()
    assert main([str(tmp_path), "--dataset", str(tiny_dataset)]) == 2
    assert "not a tfreid export" in capsys.readouterr().err

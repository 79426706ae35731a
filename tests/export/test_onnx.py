"""ONNX export (issue: ``tfreid export RUN --onnx``): the graph is dynamic, embeds as the
SavedModel and the Keras encoder do, and a failed or impossible export writes nothing."""

import importlib
import json

import numpy as np
import pytest

from tests.helpers import the_error_line, tiny_siamese
from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import keras
from tfreid.data.images import resize_images
from tfreid.export import export_saved_model

pytestmark = pytest.mark.numeric  # ONNX graphs against the SavedModel and the Keras model

onnx_export = pytest.importorskip("tfreid.export.onnx")
pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def encoder():
    from tfreid.models import build_encoder

    return build_encoder("siamese_base", (48, 40), 12)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, encoder):
    """(SavedModel folder with model.onnx beside it, the ONNX record)."""
    folder = export_saved_model(encoder, tmp_path_factory.mktemp("onnx") / "export")
    images = np.random.default_rng(1).integers(0, 256, (6, 48, 40, 3), dtype=np.uint8)
    return folder, onnx_export.add_onnx(folder, encoder, images)


def resized_by_onnx(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The pixels the ONNX graph's resize gives (an ONNX export of a flattening "encoder")."""
    inputs = keras.Input((*size, 3))
    flatten = keras.Model(inputs, keras.layers.Flatten()(inputs))
    session = onnx_export.OnnxModel(onnx_export.convert_onnx(flatten).SerializeToString())
    return session(images).reshape(images.shape[0], *size, 3)


def test_onnx_resize_is_tensorflows_within_one_level():
    # ONNX Resize and TensorFlow's ScaleAndTranslate sum the same triangle weights in their
    # own order; a result within float32 round-off of k + 0.5 rounds to either uint8 level
    rng = np.random.default_rng(0)
    for shape in [(5, 97, 61, 3), (4, 30, 20, 3), (2, 49, 41, 3), (3, 48, 80, 3)]:
        images = rng.integers(0, 256, shape, dtype=np.uint8)
        onnx = resized_by_onnx(images, (48, 40)).astype(np.int16)
        difference = np.abs(onnx - resize_images(images, (48, 40)).numpy().astype(np.int16))
        assert difference.max() <= 1 and (difference > 0).mean() < 1e-2, shape


def test_onnx_embeds_as_the_saved_model_and_keras(exported, encoder):
    from tfreid.inference import embedder_for

    folder, info = exported
    onnx, saved = embedder_for(folder / "model.onnx"), embedder_for(folder)
    rng = np.random.default_rng(2)
    for shape in [(1, 48, 40, 3), (5, 48, 40, 3), (5, 97, 61, 3), (1, 30, 20, 3)]:
        images = rng.integers(0, 256, shape, dtype=np.uint8)
        pixels = resized_by_onnx(images, (48, 40)).astype(np.uint8)  # same input to each
        keras_embeddings = encoder(pixels, training=False).numpy()
        embeddings = onnx.embed(images)
        assert embeddings.shape == (shape[0], 12)
        assert_float32_close(embeddings, keras_embeddings, *network_terms(encoder))
        assert_float32_close(embeddings, saved.embed(pixels), *network_terms(encoder))
    assert onnx.embed(np.zeros((0, 60, 50, 3), np.uint8)).shape == (0, 12)
    assert info["opset"] == 18 and info["converter"].startswith("tf2onnx ")
    assert info["max_abs_difference"] < 1e-4 and info["checked_images"] == 6
    assert json.loads((folder / "tfreid.json").read_text())["onnx"] == info


def test_onnx_graph_is_dynamic(exported):
    import onnx

    model = onnx.load(str(exported[0] / "model.onnx"))
    (images,), (embeddings,) = model.graph.input, model.graph.output
    dims = images.type.tensor_type.shape.dim
    assert images.name == "images" and embeddings.name == "embeddings"
    assert images.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    assert [d.dim_value for d in dims] == [0, 0, 0, 3]  # B, H and W symbolic
    assert all(d.dim_param for d in dims[:3])


def test_missing_extra_is_one_line(tmp_path, monkeypatch, capsys):
    from tfreid.cli.export import main

    real = importlib.import_module

    def without_tf2onnx(name, *args, **kwargs):
        if name.split(".")[0] == "tf2onnx":
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", without_tf2onnx)
    assert main([str(tmp_path), "--float-only", "--onnx", "--out", str(tmp_path / "e")]) == 2
    assert "tfreid[onnx]" in the_error_line(capsys.readouterr().err)
    assert not (tmp_path / "e").exists()


def test_failed_onnx_export_writes_nothing(tmp_path, encoder, monkeypatch):
    import tf2onnx

    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise RuntimeError("converter failed")

    monkeypatch.setattr(tf2onnx.convert, "from_function", broken)
    with pytest.raises(RuntimeError):
        onnx_export.export_onnx(encoder, target)
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]


def test_onnx_that_differs_is_refused(tmp_path, encoder):
    from tfreid.errors import TrainingError

    images = np.zeros((2, 48, 40, 3), np.uint8)
    with pytest.raises(TrainingError, match="differs from the model it came from"):
        onnx_export.export_onnx(encoder, tmp_path / "model.onnx", check_images=images,
                                reference=lambda batch: np.ones((len(batch), 12), np.float32))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_float_only_onnx_through_the_cli(tmp_path, tiny_dataset, capsys):
    from tfreid.cli.export import main as export_main
    from tfreid.cli.train_siamese import main as train_main
    from tfreid.inference import embedder_for

    run = tmp_path / "run"
    assert train_main(tiny_siamese(tiny_dataset, "--logdir", str(run), "--export",
                                   str(tmp_path / "trained"), epochs=1, steps=1)) == 0
    out = tmp_path / "e"
    assert export_main([str(run), "--float-only", "--onnx",
                        "--out", str(out)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("onnx: "))
    assert "opset 18" in line and "held-out images" in line
    info = json.loads((out / "tfreid.json").read_text())["onnx"]
    assert info["max_abs_difference"] < 1e-4 and info["checked_images"] > 0
    images = np.random.default_rng(3).integers(0, 256, (3, 40, 40, 3), dtype=np.uint8)
    assert np.abs(embedder_for(out / "model.onnx").embed(images)
                  - embedder_for(out).embed(images)).max() < 1e-4

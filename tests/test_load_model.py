"""``tfreid.load_model``: saved models with tfreid layers load in a fresh process, and
``tfreid.keras_objects.KERAS_OBJECT_MODULES`` names every module registering Keras objects
(so a new layer, loss or metric cannot be forgotten)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfreid.keras_objects import KERAS_OBJECT_MODULES

PACKAGE = Path(__file__).resolve().parents[1] / "tfreid"
REGISTERING = {"serializable", "register_keras_serializable"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def registers_keras_objects(path: Path) -> bool:
    """Whether ``path`` decorates a class with, or calls, ``serializable`` or
    ``register_keras_serializable`` (plain or as an attribute)."""
    for node in ast.walk(ast.parse(path.read_text())):
        targets = [node.func] if isinstance(node, ast.Call) else \
            list(node.decorator_list) if isinstance(node, ast.ClassDef) else []
        for target in targets:
            name = getattr(target, "id", getattr(target, "attr", None))
            if name in REGISTERING:
                return True
    return False


def test_keras_object_modules_name_every_registering_module():
    found = {module_name(path) for path in sorted(PACKAGE.rglob("*.py"))
             if path.name != "backend.py" and registers_keras_objects(path)}
    assert found, "the scan found no registering module"
    missing = sorted(found - set(KERAS_OBJECT_MODULES))
    assert not missing, f"add to tfreid/keras_objects.py KERAS_OBJECT_MODULES: {missing}"
    stale = sorted(set(KERAS_OBJECT_MODULES) - found)
    assert not stale, f"KERAS_OBJECT_MODULES names modules that register nothing: {stale}"
    assert len(set(KERAS_OBJECT_MODULES)) == len(KERAS_OBJECT_MODULES)


def test_models_exports_stack_embeddings():
    import tfreid.models
    from tfreid.backend import keras

    layer = tfreid.models.StackEmbeddings
    assert keras.saving.get_registered_object("tfreid>StackEmbeddings") is layer


FRESH_PROCESS = """
import sys
from pathlib import Path

import numpy as np

import tfreid

assert "tensorflow" not in sys.modules, "import tfreid loaded TensorFlow"
root = Path(sys.argv[1])
for name in sys.argv[2:]:
    model = tfreid.load_model(root / f"{name}.keras")
    inputs = dict(np.load(root / f"{name}_inputs.npz"))
    outputs = model.predict(inputs if len(inputs) > 1 else inputs["x"], verbose=0)
    outputs = outputs if isinstance(outputs, dict) else {"y": outputs}
    expected = dict(np.load(root / f"{name}_expected.npz"))
    assert sorted(outputs) == sorted(expected), (name, sorted(outputs))
    for key, value in expected.items():
        # same weights, same kernels (CPU, float32) in both processes: only rounding of
        # the order of operations may differ, so an absolute 1e-6 of the largest output
        np.testing.assert_allclose(outputs[key], value, rtol=0,
                                   atol=1e-6 * np.abs(value).max(),
                                   err_msg=f"{name}:{key}")
    print("loaded", name)
"""


def saved_models(root: Path) -> list[str]:
    """Save a Siamese, a triplet (compiled with its loss), a CaffePreprocessing and a
    Table I model with their inputs and outputs under ``root``; their names."""
    from tfreid.backend import keras
    from tfreid.losses.triplet import TripletLoss
    from tfreid.models import CaffePreprocessing, build_siamese, build_triplet_model, table1_cnn

    rng = np.random.default_rng(0)
    images = lambda: rng.uniform(0, 255, (3, 40, 40, 3)).astype("float32")  # noqa: E731
    encoder = table1_cnn((40, 40, 3), 8, width=0.5, name="tiny_table1")
    triplet = build_triplet_model(table1_cnn((40, 40, 3), 8, width=0.5, name="triplet_encoder"))
    triplet.compile("adam", loss=TripletLoss(margin=1.0))
    caffe = keras.Sequential([keras.Input((8, 8, 3)), CaffePreprocessing(),
                              keras.layers.Flatten(), keras.layers.Dense(4)], name="caffe")
    models = {
        "siamese": (build_siamese(table1_cnn((40, 40, 3), 8, width=0.5, name="twin"),
                                  merge_head=True), {"image_a": images(), "image_b": images()}),
        "triplet": (triplet, {"anchor": images(), "positive": images(), "negative": images()}),
        "caffe": (caffe, {"x": rng.uniform(0, 255, (3, 8, 8, 3)).astype("float32")}),
        "table1": (encoder, {"x": images()}),
    }
    for name, (model, inputs) in models.items():
        outputs = model.predict(inputs if len(inputs) > 1 else inputs["x"], verbose=0)
        outputs = outputs if isinstance(outputs, dict) else {"y": outputs}
        model.save(root / f"{name}.keras")
        np.savez(root / f"{name}_inputs.npz", **inputs)
        np.savez(root / f"{name}_expected.npz", **outputs)
    return list(models)


@pytest.mark.slow
def test_saved_models_load_in_a_fresh_process(tmp_path):
    names = saved_models(tmp_path)
    # one process for all models: each TensorFlow start costs seconds
    result = subprocess.run([sys.executable, "-c", FRESH_PROCESS, str(tmp_path), *names],
                            env={**os.environ, "TF_USE_LEGACY_KERAS": "1"},
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split().count("loaded") == len(names), result.stdout

"""Every method trains under the mixed-precision policies (bfloat16 runs on CPU)."""

import math
import os

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.distribute.precision import loss_gradients, precision_policy
from tfreid.training.config import RunConfig
from tfreid.training.engine import train
from tfreid.training.saved_run import load_encoder

pytestmark = pytest.mark.numeric  # mixed precision

SMALL = {"epochs": 2, "batch_size": 16, "image_size": 40, "embedding_dim": 8, "xla": False,
         "save_export": False}
METHODS = {
    "siamese": {"steps_per_epoch": 3},
    "triplet": {"num_triplets": 64},
    "batch": {"loss": "multi_similarity", "steps_per_epoch": 3, "validation_steps": 1},
    "augmented": {"steps_per_epoch": 3},
    "spreading": {"steps_per_epoch": 3},
    "stml": {"steps_per_epoch": 2, "wide_dim": 16},
    "insclr": {"steps_per_epoch": 2, "anchors": 4, "pool_size": 20, "exclusion": 5,
               "cycles": 2},
}


# TensorFlow picks oneDNN's bfloat16 kernels from the CPU's flags; ONEDNN_MAX_CPU_ISA below
# AVX-512 (tests/numeric_matrix.sh) then leaves oneDNN unable to build them, a state no real
# CPU is in (one without AVX-512 gets Eigen's bfloat16 kernels)
ONEDNN_ISA = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
CAPPED_BELOW_AVX512 = ONEDNN_ISA.startswith(("SSE", "AVX2")) or ONEDNN_ISA == "AVX"
needs_bfloat16_kernels = pytest.mark.skipif(
    CAPPED_BELOW_AVX512, reason="ONEDNN_MAX_CPU_ISA caps oneDNN below the bfloat16 kernels "
    "TensorFlow chose for this CPU")


@pytest.mark.slow
@needs_bfloat16_kernels
@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_trains_in_bfloat16_and_embeds_in_float32(method, learnable_dataset,
                                                              tmp_path):
    results = train(RunConfig.for_method(method, **SMALL, **METHODS[method],
                                         precision="mixed_bfloat16",
                                         dataset=str(learnable_dataset),
                                         logdir=str(tmp_path / "run")), verbose=0)
    assert all(math.isfinite(v) for v in results["history"]["loss"])
    assert math.isfinite(results["test"]["mAP"])
    encoder = load_encoder(tmp_path / "run")
    computed = {layer.dtype_policy.compute_dtype for layer in encoder.layers
                if layer.trainable_weights}
    assert "bfloat16" in computed
    assert encoder.output.dtype == tf.float32  # the embedding leaves in float32
    assert keras.mixed_precision.global_policy().name == "float32"  # the policy is restored


@pytest.mark.slow
@needs_bfloat16_kernels
def test_bfloat16_training_learns(learnable_dataset, tmp_path):
    settings = {**SMALL, "epochs": 4, "loss": "multi_similarity", "steps_per_epoch": 10,
                "validation_steps": 1, "dataset": str(learnable_dataset)}
    results = train(RunConfig.for_method("batch", **settings, precision="mixed_bfloat16",
                                         logdir=str(tmp_path / "bf16")), verbose=0)
    assert results["test"]["mAP"] > 2 * results["chance"]["mAP"]


def test_custom_steps_take_float16_gradients_at_the_loss_scale():
    with precision_policy("mixed_float16"):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile(keras.optimizers.SGD(0.1), loss="mse")
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.mixed_precision.LossScaleOptimizer)
    x = np.array([[1e-3, 2e-3, 3e-3]], np.float32)
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_sum(tf.cast(model(x), tf.float32)) * 1e-4
    # d loss / d kernel[i, j] = 1e-4 x_i: around 1e-7, float16's subnormal range
    exact = 1e-4 * np.repeat(x.T, 2, axis=1)
    kernel = loss_gradients(optimizer, tape, loss, model.trainable_weights)[0]
    unscaled = tape.gradient(loss, model.trainable_weights)[0]
    # scaled into float16's normal range, the gradient is rounded to float16 twice (the
    # product, the cast back), each within eps16 / 2 of its value: 2 eps16 covers both
    np.testing.assert_allclose(kernel.numpy(), exact, rtol=2 * np.finfo(np.float16).eps)
    assert np.abs(unscaled.numpy() / exact - 1).max() > 0.1  # what scaling saves

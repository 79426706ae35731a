"""``--precision``: the Keras mixed-precision policy a run trains under.

``mixed_float16`` and ``mixed_bfloat16`` compute layers in 16 bits and keep
variables in float32; tfreid's losses cast embeddings to float32, and the
encoders end in a float32 layer, so losses and distances are computed in
float32. Under ``mixed_float16`` tf_keras' ``compile`` wraps the optimiser in a
``LossScaleOptimizer`` (dynamic loss scaling); bfloat16 needs no scaling.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from tfreid.errors import ConfigError

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@contextmanager
def precision_policy(name: str) -> Iterator[None]:
    """Build and train under the policy ``name`` inside the block; restore the old one."""
    from tfreid.backend import keras

    if name not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def loss_gradients(optimizer, tape, loss, variables: list) -> list:
    """Gradients of ``loss`` for a custom ``train_step``: under ``mixed_float16`` (where
    ``compile`` wraps the optimiser in a ``LossScaleOptimizer``) computed at the
    optimiser's loss scale, so small float16 gradients do not vanish, then unscaled."""
    if hasattr(optimizer, "get_unscaled_gradients"):
        from tfreid.backend import tf

        scale = tf.cast(optimizer.loss_scale, loss.dtype)
        return optimizer.get_unscaled_gradients(
            tape.gradient(loss, variables, output_gradients=scale))
    return tape.gradient(loss, variables)

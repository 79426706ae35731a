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

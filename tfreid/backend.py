"""The one place where tfreid imports TensorFlow and Keras.

Every other module does ``from tfreid.backend import keras, tf``, so the Keras
flavour (tf_keras, the Keras 2 API) is chosen here and nowhere else, and
TensorFlow's native start-up lines are held back (``tfreid.quiet``).
"""

import tfreid  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from tfreid.quiet import quiet_native_stderr, user_wants_native_logs

with quiet_native_stderr():
    import tensorflow as tf
    import tf_keras as keras

    _GPUS = tf.config.list_physical_devices("GPU")  # finds devices now, while quiet

if not user_wants_native_logs():
    tf.get_logger().setLevel("ERROR")

__all__ = ["keras", "tf", "gpu_available", "default_jit_compile"]


def gpu_available() -> bool:
    """True when TensorFlow sees at least one GPU (looked up once, at import, quietly)."""
    return bool(_GPUS)


def default_jit_compile() -> bool:
    """XLA on when a GPU is visible, off on CPU (where it is 2-2.5x slower)."""
    return gpu_available()

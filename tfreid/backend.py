"""The one place where tfreid imports TensorFlow and Keras.

Every other module does ``from tfreid.backend import keras, tf``, so the Keras
flavour (tf_keras, the Keras 2 API) is chosen here and nowhere else.
"""

import tensorflow as tf
import tf_keras as keras

import tfreid  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

__all__ = ["keras", "tf", "gpu_available", "default_jit_compile"]


def gpu_available() -> bool:
    """True when TensorFlow sees at least one GPU."""
    return bool(tf.config.list_physical_devices("GPU"))


def default_jit_compile() -> bool:
    """XLA on when a GPU is visible, off on CPU (where it is about 3x slower)."""
    return gpu_available()

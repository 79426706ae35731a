"""The one place where tfreid imports TensorFlow and Keras.

Every other module does ``from tfreid.backend import keras, tf``, so the Keras
flavour (tf_keras, the Keras 2 API) is chosen here and nowhere else, and
TensorFlow's native start-up lines are held back (``tfreid.quiet``).
"""

import sys

import tfreid  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from tfreid.quiet import quiet_native_stderr, user_wants_native_logs

with quiet_native_stderr():
    import tensorflow as tf
    import tf_keras as keras

    _GPUS = tf.config.list_physical_devices("GPU")  # finds devices now, while quiet

if not user_wants_native_logs():
    tf.get_logger().setLevel("ERROR")

__all__ = ["keras", "tf", "gpu_available", "default_jit_compile", "serializable",
           "check_tf_keras", "check_tf_keras_caller"]


def gpu_available() -> bool:
    """True when TensorFlow sees at least one GPU (looked up once, at import, quietly)."""
    return bool(_GPUS)


def default_jit_compile() -> bool:
    """XLA on when a GPU is visible, off on CPU (where it is 2-2.5x slower)."""
    return gpu_available()


def serializable(cls: type) -> type:
    """Register a Keras object class under ``package="tfreid"`` and by its bare name, so
    ``keras.losses.get("MultiSimilarityLoss")``, ``deserialize(serialize(x))`` and
    ``load_model`` all find it."""
    registered = keras.saving.register_keras_serializable(package="tfreid")(cls)
    keras.utils.get_custom_objects().setdefault(cls.__name__, registered)
    return registered


_USE_TF_KERAS = ("tfreid uses tf_keras (the Keras 2 API): build it with `from tfreid.backend "
                 "import keras` or `import tf_keras as keras`, or import tfreid before TensorFlow")


def is_keras3_module(name: str) -> bool:
    """Whether module ``name`` belongs to Keras 3 (the ``keras`` package, not ``tf_keras``)."""
    return name == "keras" or name.startswith("keras.")


def check_tf_keras(obj: object, what: str) -> None:
    """ConfigError if ``obj`` is a Keras 3 object: tfreid trains and saves with tf_keras.

    A Keras 3 model (from ``import keras``, or ``tf.keras`` without
    ``TF_USE_LEGACY_KERAS=1``) would train here, then fail to load once saved.
    """
    module = type(obj).__module__
    if is_keras3_module(module):
        from tfreid.errors import ConfigError

        raise ConfigError(f"{what} is a Keras 3 object ({type(obj).__name__} from {module}); "
                          + _USE_TF_KERAS)


def check_tf_keras_caller(what: str) -> None:
    """ConfigError if Keras 3 code is on the call stack: a Keras 3 model compiled with a
    tfreid loss calls it from its own trainer (``keras.src.trainers``), where tf_keras
    would. Checked at a loss's first call, it stops training before anything is saved
    that could not be loaded again."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if is_keras3_module(module):
            from tfreid.errors import ConfigError

            raise ConfigError(f"{what} is called by a Keras 3 model or trainer ({module}); "
                              + _USE_TF_KERAS)
        frame = frame.f_back

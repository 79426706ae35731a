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

__all__ = ["keras", "tf", "gpu_available", "default_jit_compile", "serializable",
           "check_tf_keras"]


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


def check_tf_keras(obj: object, what: str) -> None:
    """ConfigError if ``obj`` is a Keras 3 object: tfreid trains and saves with tf_keras.

    A Keras 3 model (from ``import keras``, or ``tf.keras`` without
    ``TF_USE_LEGACY_KERAS=1``) would train here, then fail to load once saved.
    """
    module = type(obj).__module__
    if module.startswith("keras.") or module == "keras":
        from tfreid.errors import ConfigError

        raise ConfigError(
            f"{what} is a Keras 3 object ({type(obj).__name__} from {module}); tfreid uses "
            "tf_keras (the Keras 2 API): build it with `from tfreid.backend import keras` "
            "or `import tf_keras as keras`, or import tfreid before TensorFlow")

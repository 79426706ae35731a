"""tfreid: contrastive and metric learning for re-identification on TensorFlow.

tfreid uses the Keras 2 API (``tf_keras``): tensorflow-model-optimization's
quantization-aware training and MultiWorkerMirroredStrategy ``fit`` fail under
Keras 3 with TensorFlow 2.21. ``TF_USE_LEGACY_KERAS=1`` must therefore be set
before TensorFlow is first imported; importing tfreid first does that (a value
the user set explicitly is kept).

``tfreid.load_model(path)`` loads any saved model holding tfreid layers, losses or
metrics in a fresh process (``keras.models.load_model`` alone finds them only once their
submodules were imported).
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

__version__ = "0.1.0"


def load_model(path, **kwargs):
    """``keras.models.load_model(path, **kwargs)`` after importing every tfreid module that
    registers Keras objects (``tfreid.keras_objects.KERAS_OBJECT_MODULES``), so a Siamese,
    triplet or ResNet-50 model saved by tfreid loads in a fresh process. TensorFlow is
    imported only when this is called.

    Example::

        import tfreid

        encoder.save("encoder.keras")  # as a run saves logs/<run>/encoder.keras
        encoder = tfreid.load_model("encoder.keras", compile=False)
    """
    from tfreid.keras_objects import load_model as load

    return load(path, **kwargs)

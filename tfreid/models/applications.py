"""Keras applications as re-id backbones: ResNet50, MobileNetV3Small, EfficientNetV2B0.

Each is the application without its classifier (``include_top=False``), global
average pooled, with its own input preprocessing inside the model (ResNet50:
BGR minus the ImageNet means; MobileNetV3 and EfficientNetV2: their built-in
rescaling of [0, 255] pixels) and a linear Dense embedding head, so exports
take uint8 images and compression can cut the head. ``weights`` is None
(random initialisation) or the path of a local weights file of the
application without its top, e.g. ImageNet weights downloaded beforehand:
nothing is downloaded at run time (``--backbone-weights``). The module imports
TensorFlow only when it builds.

Example::

    encoder = resnet50((128, 64, 3), embedding_dim=256, weights="resnet50_notop.h5")
"""

from dataclasses import dataclass
from pathlib import Path

from tfreid.errors import ConfigError
from tfreid.models.backbone import Backbone
from tfreid.registry import option


@dataclass(frozen=True)
class ApplicationOptions:
    weights: str | None = option(None, "local weights file of the application without its "
                                       "top (default: random initialisation; nothing "
                                       "downloads)", flag="--backbone-weights")


def _weights(weights: str | None) -> str | None:
    if weights is None:
        return None
    if weights == "imagenet" or not Path(weights).is_file():
        raise ConfigError(f"backbone weights must be a local weights file (nothing downloads "
                          f"at run time); {weights!r} is not one")
    return str(weights)


def _encoder(base_builder, preprocess, input_shape, embedding_dim: int, weights: str | None,
             name: str, **base_options):
    from tfreid.backend import keras

    inputs = keras.Input(shape=input_shape, name="images")
    base = base_builder(include_top=False, weights=_weights(weights), input_shape=input_shape,
                        pooling="avg", **base_options)
    features = base(preprocess(inputs) if preprocess else inputs)
    outputs = keras.layers.Dense(embedding_dim, name="embedding", dtype="float32")(features)
    return keras.Model(inputs, outputs, name=name)


def resnet50(input_shape: tuple[int, int, int], embedding_dim: int = 128,
             weights: str | None = None, name: str = "resnet50"):
    """ResNet50 (He et al., 2016) with an embedding head (module docstring)."""
    from tfreid.backend import keras
    from tfreid.models.preprocessing import CaffePreprocessing

    return _encoder(keras.applications.ResNet50, CaffePreprocessing(name="caffe_preprocessing"),
                    input_shape, embedding_dim, weights, name)


def mobilenet_v3_small(input_shape: tuple[int, int, int], embedding_dim: int = 128,
                       weights: str | None = None,
                       name: str = "mobilenet_v3_small"):
    """MobileNetV3Small (Howard et al., 2019) with an embedding head."""
    from tfreid.backend import keras

    return _encoder(keras.applications.MobileNetV3Small, None, input_shape, embedding_dim,
                    weights, name, include_preprocessing=True)


def efficientnet_v2_b0(input_shape: tuple[int, int, int], embedding_dim: int = 128,
                       weights: str | None = None,
                       name: str = "efficientnet_v2_b0"):
    """EfficientNetV2B0 (Tan and Le, 2021) with an embedding head."""
    from tfreid.backend import keras

    return _encoder(keras.applications.EfficientNetV2B0, None, input_shape, embedding_dim,
                    weights, name, include_preprocessing=True)


RESNET50 = Backbone("resnet50", resnet50, ApplicationOptions, "Keras ResNet50")
MOBILENET_V3_SMALL = Backbone("mobilenet_v3_small", mobilenet_v3_small, ApplicationOptions,
                              "Keras MobileNetV3Small")
EFFICIENTNET_V2_B0 = Backbone("efficientnet_v2_b0", efficientnet_v2_b0, ApplicationOptions,
                              "Keras EfficientNetV2B0")

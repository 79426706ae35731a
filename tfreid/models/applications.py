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

Re-id options (Luo et al., "Bag of Tricks", CVPRW 2019); their defaults build the
encoders of before them, weight for weight:

- ``last_stride`` (ResNet50, ``--last-stride {1,2}``, default 2): 1 removes the
  downsampling of conv5 (its first unit's ``conv5_block1_0_conv`` shortcut and
  ``conv5_block1_1_conv``), doubling the final map's side (16x8 for 256x128 inputs). The
  weights do not depend on the stride, so local ImageNet weights still load.
- ``pooling`` (``--pooling {avg,gem}``, default avg): global average, or generalized-mean
  pooling with a learnt exponent (``tfreid.models.pooling``; ``--gem-p`` its initial
  value, ``--no-gem-p-trainable`` to fix it).
- ``neck`` (``--neck {none,bnneck}``, default none): bnneck adds a BatchNormalization
  without shift after the Dense embedding, named "bnneck"; the encoder outputs its
  features (``tfreid.models.neck``, whose ``features_before_neck`` gives both).

Example::

    from tfreid.models.applications import resnet50

    # weights: a local ResNet50 "notop" weights file (.h5); None starts from random weights
    encoder = resnet50((128, 64, 3), embedding_dim=256, weights=None,
                       last_stride=1, pooling="gem", neck="bnneck")
    assert encoder.output_shape == (None, 256)
"""

from dataclasses import dataclass
from pathlib import Path

from tfreid.errors import ConfigError
from tfreid.models.backbone import Backbone
from tfreid.registry import option

POOLINGS = ("avg", "gem")
NECKS = ("none", "bnneck")
# the layers of keras.applications.ResNet50 (v1) that downsample conv5 (stride 2)
RESNET50_LAST_STRIDE_LAYERS = ("conv5_block1_0_conv", "conv5_block1_1_conv")


@dataclass(frozen=True)
class ApplicationOptions:
    weights: str | None = option(None, "local weights file of the application without its "
                                       "top (default: random initialisation; nothing "
                                       "downloads)", flag="--backbone-weights")
    pooling: str = option("avg", "global pooling of the application's features: average, "
                                 "or generalized mean (GeM, learnt exponent)", choices=POOLINGS)
    gem_p: float = option(3.0, "--pooling gem: the initial exponent p (1: average, large: "
                               "max)", minimum=1.0, maximum=100.0)
    gem_p_trainable: bool = option(True, "--pooling gem: learn the exponent p")
    neck: str = option("none", "after the embedding: nothing, or bnneck (batch "
                               "normalisation without shift; the output is after it)",
                       choices=NECKS)


@dataclass(frozen=True)
class ResNet50Options(ApplicationOptions):
    last_stride: int = option(2, "stride of ResNet50's last stage (1: a twice larger final "
                                 "feature map, as re-id baselines use)", choices=(1, 2))


def _weights(weights: str | None) -> str | None:
    if weights is None:
        return None
    if weights == "imagenet" or not Path(weights).is_file():
        raise ConfigError(f"backbone weights must be a local weights file (nothing downloads "
                          f"at run time); {weights!r} is not one")
    return str(weights)


def _encoder(base_builder, preprocess, input_shape, embedding_dim: int,
             options: ApplicationOptions, name: str, **base_options):
    """The application (``options``: ``ApplicationOptions`` or ``ResNet50Options``),
    pooled, a Dense embedding and its neck."""
    from tfreid.backend import keras
    from tfreid.models.neck import add_neck
    from tfreid.models.pooling import GeneralizedMeanPooling

    gem = options.pooling == "gem"
    inputs = keras.Input(shape=input_shape, name="images")
    base = base_builder(include_top=False, weights=_weights(options.weights),
                        input_shape=input_shape, pooling=None if gem else "avg", **base_options)
    if getattr(options, "last_stride", 2) == 1:
        base = with_stride_one(base, RESNET50_LAST_STRIDE_LAYERS)
    features = base(preprocess(inputs) if preprocess else inputs)
    if gem:
        features = GeneralizedMeanPooling(options.gem_p, options.gem_p_trainable,
                                          name="gem_pooling")(features)
    outputs = keras.layers.Dense(embedding_dim, name="embedding", dtype="float32")(features)
    return keras.Model(inputs, add_neck(outputs, options.neck), name=name)


def with_stride_one(base, layer_names: tuple[str, ...]):
    """A copy of the functional model ``base`` whose layers ``layer_names`` have strides 1,
    with ``base``'s weights (a convolution's kernel does not depend on its stride)."""
    from tfreid.backend import keras

    def clone(layer):
        config = layer.get_config()
        if layer.name in layer_names:
            config["strides"] = (1, 1)
        return layer.__class__.from_config(config)

    missing = set(layer_names) - {layer.name for layer in base.layers}
    if missing:
        raise ValueError(f"{base.name} has no layer {sorted(missing)[0]!r}")
    strided = keras.models.clone_model(base, clone_function=clone)
    strided.set_weights(base.get_weights())
    return strided


def resnet50(input_shape: tuple[int, int, int], embedding_dim: int = 128,
             weights: str | None = None, name: str = "resnet50", pooling: str = "avg",
             gem_p: float = 3.0, gem_p_trainable: bool = True, neck: str = "none",
             last_stride: int = 2):
    """ResNet50 (He et al., 2016) with an embedding head; the options are
    ``ResNet50Options``' (module docstring)."""
    from tfreid.backend import keras
    from tfreid.models.preprocessing import CaffePreprocessing

    options = ResNet50Options(weights, pooling, gem_p, gem_p_trainable, neck, last_stride)
    return _encoder(keras.applications.ResNet50, CaffePreprocessing(name="caffe_preprocessing"),
                    input_shape, embedding_dim, options, name)


def mobilenet_v3_small(input_shape: tuple[int, int, int], embedding_dim: int = 128,
                       weights: str | None = None, name: str = "mobilenet_v3_small",
                       pooling: str = "avg", gem_p: float = 3.0, gem_p_trainable: bool = True,
                       neck: str = "none"):
    """MobileNetV3Small (Howard et al., 2019) with an embedding head; the options are
    ``ApplicationOptions``'."""
    from tfreid.backend import keras

    options = ApplicationOptions(weights, pooling, gem_p, gem_p_trainable, neck)
    return _encoder(keras.applications.MobileNetV3Small, None, input_shape, embedding_dim,
                    options, name, include_preprocessing=True)


def efficientnet_v2_b0(input_shape: tuple[int, int, int], embedding_dim: int = 128,
                       weights: str | None = None, name: str = "efficientnet_v2_b0",
                       pooling: str = "avg", gem_p: float = 3.0, gem_p_trainable: bool = True,
                       neck: str = "none"):
    """EfficientNetV2B0 (Tan and Le, 2021) with an embedding head; the options are
    ``ApplicationOptions``'."""
    from tfreid.backend import keras

    options = ApplicationOptions(weights, pooling, gem_p, gem_p_trainable, neck)
    return _encoder(keras.applications.EfficientNetV2B0, None, input_shape, embedding_dim,
                    options, name, include_preprocessing=True)


RESNET50 = Backbone("resnet50", resnet50, ResNet50Options, "Keras ResNet50")
MOBILENET_V3_SMALL = Backbone("mobilenet_v3_small", mobilenet_v3_small, ApplicationOptions,
                              "Keras MobileNetV3Small")
EFFICIENTNET_V2_B0 = Backbone("efficientnet_v2_b0", efficientnet_v2_b0, ApplicationOptions,
                              "Keras EfficientNetV2B0")

"""Quantization-aware training with tensorflow-model-optimization (tfmot; tf_keras only).

``quantize_encoder(encoder, scope)`` returns a copy of the encoder with fake
int8 quantization in training, ready to fine-tune:

* ``scope="all"``: every layer tfmot's default 8-bit registry supports
  (convolutions, dense layers, pooling, flatten ...). The input ``Rescaling``,
  which the registry does not know, is quantized at its output only, so the
  whole graph, input included, can run as int8.
* ``scope="head"``: only the embedding head (the last Dense); the backbone
  stays float.

tfmot starts every activation range at [-6, 6] and moves it by an EMA of decay
0.999, so a short fine-tune would run with ranges far too wide (an embedding of
magnitude 0.1 rounds to a few levels). Given calibration images, the ranges are
set instead from the float encoder's own activations on them.
"""

from typing import Any

import numpy as np

from tfreid.backend import keras
from tfreid.errors import ConfigError
from tfreid.extras import import_extra

SCOPES = ("all", "head")
CALIBRATION_IMAGES = 256  # training images whose activations set the ranges
QAT_FEATURE = "quantization-aware training (QAT)"  # what needs the qat extra


def _tfmot():
    return import_extra("tensorflow_model_optimization", "qat", QAT_FEATURE)


def require_qat() -> None:
    """Nothing if tensorflow-model-optimization (``tfreid[qat]``) is installed, else its
    one-line MissingExtraError: commands call it before any work that QAT would follow."""
    _tfmot()


def output_quantize_config() -> Any:
    """A QuantizeConfig quantizing a weightless layer's output to 8 bits (asymmetric)."""
    tfmot = _tfmot()
    quantizers = tfmot.quantization.keras.quantizers

    class OutputQuantizeConfig(tfmot.quantization.keras.QuantizeConfig):
        def get_weights_and_quantizers(self, layer):
            return []

        def get_activations_and_quantizers(self, layer):
            return []

        def set_quantize_weights(self, layer, quantize_weights):
            pass

        def set_quantize_activations(self, layer, quantize_activations):
            pass

        def get_output_quantizers(self, layer):
            return [quantizers.MovingAverageQuantizer(num_bits=8, per_axis=False,
                                                      symmetric=False, narrow_range=False)]

        def get_config(self):
            return {}

    return OutputQuantizeConfig


def calibrate_ranges(qat_model: keras.Model, encoder: keras.Model, images: np.ndarray) -> None:
    """Set each activation range of ``qat_model`` to what the float ``encoder`` gives on
    ``images``: [min(0, lowest), max(0, highest)] of the wrapped layer's output, and of
    the pixels for an input quantizer."""
    names = [layer.name for layer in encoder.layers[1:]]
    probe = keras.Model(encoder.input, [encoder.get_layer(n).output for n in names])
    outputs = dict(zip(names, probe.predict(images, batch_size=64, verbose=0), strict=True))
    for layer in qat_model.layers:
        wrapped = getattr(layer, "layer", None)
        observed = outputs.get(wrapped.name) if wrapped is not None else images
        for variable in layer.non_trainable_weights:
            short = variable.name.split("/")[-1].split(":")[0]
            if short in ("post_activation_min", "output_min", "quantize_layer_min"):
                variable.assign(min(0.0, float(np.min(observed))))
            elif short in ("post_activation_max", "output_max", "quantize_layer_max"):
                variable.assign(max(0.0, float(np.max(observed))))


def quantize_encoder(encoder: keras.Model, scope: str = "all",
                     calibration_images: np.ndarray | None = None) -> keras.Model:
    """A QAT copy of ``encoder`` (module docstring); its weights start from the encoder's,
    its activation ranges from ``calibration_images`` if given."""
    if scope not in SCOPES:
        raise ConfigError(f"unknown QAT scope {scope!r}; choose from {', '.join(SCOPES)}")
    if any(isinstance(layer, keras.Model) for layer in encoder.layers):
        raise ConfigError("QAT needs a flat encoder (an ensemble: quantize each member)")
    tfmot = _tfmot()
    q = tfmot.quantization.keras
    registry = q.default_8bit.Default8BitQuantizeRegistry()
    config_class = output_quantize_config()
    head = encoder.layers[-1].name

    def annotate(layer: keras.layers.Layer) -> keras.layers.Layer:
        if scope == "head":
            return q.quantize_annotate_layer(layer) if layer.name == head else layer
        if registry.supports(layer):
            return q.quantize_annotate_layer(layer)
        if isinstance(layer, keras.layers.Rescaling):
            return q.quantize_annotate_layer(layer, config_class())
        return layer

    with q.quantize_scope({"OutputQuantizeConfig": config_class}):
        annotated = keras.models.clone_model(encoder, clone_function=annotate)
        annotated.set_weights(encoder.get_weights())
        model = q.quantize_apply(annotated)
    if calibration_images is not None:
        calibrate_ranges(model, encoder, calibration_images)
    return model

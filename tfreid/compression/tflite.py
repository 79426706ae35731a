"""TFLite export of a QAT encoder (the interpreter that embeds with it is
``tfreid.inference.tflite.TFLiteModel``, behind ``tfreid.inference.embedder_for``).

``to_tflite(qat_encoder, io)``: int8 weights (and int8 activations where the
QAT model quantized them); ``io="int8"`` makes the model's input and output
int8 too (whole-encoder QAT only: a head-only QAT model has float layers at its
input), ``io="float"`` keeps float32 input and output.
"""

import warnings

import numpy as np

from tfreid.backend import keras, tf
from tfreid.compression.names import IO_TYPES
from tfreid.errors import ConfigError
from tfreid.inference.tflite import TFLiteModel


def to_tflite(qat_encoder: keras.Model, io: str = "float") -> bytes:
    """The TFLite flatbuffer of ``qat_encoder`` (module docstring)."""
    if io not in IO_TYPES:
        raise ConfigError(f"unknown TFLite input/output type {io!r}; choose from "
                          f"{', '.join(IO_TYPES)}")
    converter = tf.lite.TFLiteConverter.from_keras_model(qat_encoder)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if io == "int8":
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = converter.convert()
    if io == "int8" and TFLiteModel(model).input_dtype != np.int8:
        raise ConfigError("int8 input/output needs whole-encoder QAT (scope 'all'): this "
                          "model's input layers are not quantized")
    return model

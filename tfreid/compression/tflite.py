"""TFLite export of a QAT encoder and embedding with the TFLite interpreter.

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
from tfreid.quiet import quiet_native_stderr


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
    embedder = TFLiteEmbedder(model)
    if io == "int8" and embedder.input_dtype != np.int8:
        raise ConfigError("int8 input/output needs whole-encoder QAT (scope 'all'): this "
                          "model's input layers are not quantized")
    return model


class TFLiteEmbedder:
    """Embeds uint8 images with a TFLite model, quantizing and dequantizing int8 I/O."""

    def __init__(self, model: bytes):
        self.model = model
        # tf.lite.Interpreter warns that LiteRT replaces it, and its runtime prints "INFO:
        # Created TensorFlow Lite XNNPACK delegate" on stderr: neither is the user's business
        with warnings.catch_warnings(), quiet_native_stderr():
            warnings.simplefilter("ignore")
            self.interpreter = tf.lite.Interpreter(model_content=model)
            self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.input_dtype = self.input["dtype"]

    def _quantize_input(self, images: np.ndarray) -> np.ndarray:
        if self.input_dtype == np.float32:
            return images.astype(np.float32)
        scale, zero_point = self.input["quantization"]
        codes = np.rint(images.astype(np.float32) / scale + zero_point)
        return np.clip(codes, -128, 127).astype(np.int8)

    def _dequantize_output(self, values: np.ndarray) -> np.ndarray:
        if self.output["dtype"] == np.float32:
            return values
        scale, zero_point = self.output["quantization"]
        return (values.astype(np.float32) - zero_point) * scale

    def __call__(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Float32 embeddings (N, D) of uint8 images (N, H, W, 3) at the model's input size."""
        expected = tuple(self.input["shape"][1:])
        if tuple(images.shape[1:]) != expected:
            raise ConfigError(f"TFLite model takes images of shape {expected}, got "
                              f"{tuple(images.shape[1:])}")
        batches = []
        for start in range(0, len(images), batch_size):
            batch = self._quantize_input(images[start:start + batch_size])
            self.interpreter.resize_tensor_input(self.input["index"], batch.shape)
            self.interpreter.allocate_tensors()
            self.interpreter.set_tensor(self.input["index"], batch)
            self.interpreter.invoke()
            batches.append(self._dequantize_output(
                self.interpreter.get_tensor(self.output["index"])))
        return np.concatenate(batches)

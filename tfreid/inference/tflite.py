"""A TFLite model behind the interpreter: float32 embeddings of one uint8 batch, quantizing
the input and dequantizing the output where the model's I/O is int8. Batching, the image
size check and the finiteness check are ``tfreid.inference.embedder``'s."""

import warnings
from pathlib import Path

import numpy as np

from tfreid.backend import tf
from tfreid.errors import DataError
from tfreid.inference.saved_model import EXPORT_AGAIN
from tfreid.quiet import quiet_native_stderr


class TFLiteModel:
    """The interpreter of a TFLite flatbuffer ``model`` (bytes)."""

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

    @property
    def image_size(self) -> tuple[int, int]:
        return tuple(int(n) for n in self.input["shape"][1:3])

    @property
    def dim(self) -> int:
        return int(self.output["shape"][-1])

    @property
    def output_step(self) -> float:
        """The output's quantization step (0 for float output)."""
        return float(self.output["quantization"][0])

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

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Float32 embeddings (B, D) of one uint8 batch (B, H, W, 3) at ``image_size``."""
        batch = self._quantize_input(batch)
        self.interpreter.resize_tensor_input(self.input["index"], batch.shape)
        self.interpreter.allocate_tensors()
        self.interpreter.set_tensor(self.input["index"], batch)
        self.interpreter.invoke()
        return self._dequantize_output(self.interpreter.get_tensor(self.output["index"]))


def read_tflite(path: str | Path) -> TFLiteModel:
    """The TFLite model in the file ``path``; DataError naming it if it is not one."""
    try:
        return TFLiteModel(Path(path).read_bytes())
    except (ValueError, RuntimeError):  # TFLite: "The model is not a valid Flatbuffer buffer"
        raise DataError(f"{path} is not a valid TFLite model (damaged, truncated, or not a "
                        f".tflite file); {EXPORT_AGAIN}") from None

"""Names of the compression methods, precisions and TFLite input / output types
(importable without TensorFlow, for command lines)."""

COMPRESSION_METHODS = ("slicing", "low_rank", "pruning")
PRECISIONS = ("float32", "int8", "int8-qat")
IO_TYPES = ("float", "int8")

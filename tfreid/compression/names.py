"""Names of the precisions an embedding is stored and compared in (not the training
precision policies of ``tfreid.distribute.precision``) and of the TFLite input / output
types, importable without TensorFlow for command lines. The compression methods are
``tfreid.catalog.COMPRESSIONS``."""

EMBEDDING_PRECISIONS = ("float32", "int8", "int8-qat")
IO_TYPES = ("float", "int8")

"""The index kinds, metrics and faiss parameters (no TensorFlow, for command lines)."""

from tfreid.catalog import INDEX_KINDS

KINDS = INDEX_KINDS.names()  # ("flat", "ivfpq", "hnsw", "int8"): tfreid.catalog.INDEX_KINDS
METRICS = ("euclidean", "cosine")
DEFAULT_PARAMETERS = {"nlist": 64, "nprobe": 8, "pq_m": 8, "pq_bits": 8, "hnsw_m": 32,
                      "ef_search": 64}
TARGETS = ("precision", "far")  # what a verification threshold is calibrated for

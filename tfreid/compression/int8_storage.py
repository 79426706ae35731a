"""int8 storage of embeddings with one scale per dimension, and search on the codes.

For a gallery X (N x D): s_j = max_i |X_ij| / 127 (symmetric, per dimension),
codes q_ij = round(X_ij / s_j) in [-127, 127], stored as int8: D bytes an
embedding plus the D float32 scales once for the whole gallery. A query is
encoded with the same scales, and squared distances come from the codes:

    d^2(q, g) = sum_j s_j^2 (q_j - g_j)^2
              = sum_j s_j^2 q_j^2 + sum_j s_j^2 g_j^2 - 2 sum_j s_j^2 q_j g_j
"""

from dataclasses import dataclass

import numpy as np

from tfreid.errors import DataError

INT8_LIMIT = 127
_CHUNK = 1024


@dataclass(frozen=True)
class Int8Embeddings:
    """int8 codes (N, D) and their per-dimension float32 scales (D,)."""

    codes: np.ndarray
    scales: np.ndarray

    def decode(self) -> np.ndarray:
        """Float32 embeddings the codes stand for: codes * scales."""
        return self.codes.astype(np.float32) * self.scales

    @property
    def nbytes(self) -> int:
        """Bytes stored: N x D int8 codes and D float32 scales."""
        return self.codes.nbytes + self.scales.nbytes


def fit_scales(embeddings: np.ndarray) -> np.ndarray:
    """Per-dimension scales max_i |x_ij| / 127 (1 for an all-zero dimension)."""
    embeddings = np.asarray(embeddings, np.float32)
    if embeddings.ndim != 2 or not np.isfinite(embeddings).all():
        raise DataError("int8 storage needs finite (N, D) embeddings")
    peak = np.abs(embeddings).max(axis=0)
    return np.where(peak > 0, peak / INT8_LIMIT, 1.0).astype(np.float32)


def encode_int8(embeddings: np.ndarray, scales: np.ndarray) -> Int8Embeddings:
    """Codes round(x / s) clipped to [-127, 127] (a query may exceed the gallery's range)."""
    codes = np.clip(np.rint(np.asarray(embeddings, np.float32) / scales), -INT8_LIMIT, INT8_LIMIT)
    return Int8Embeddings(codes.astype(np.int8), np.asarray(scales, np.float32))


def int8_squared_distances(queries: Int8Embeddings, gallery: Int8Embeddings) -> np.ndarray:
    """(Nq, Ng) squared distances computed from the codes (module docstring)."""
    if not np.array_equal(queries.scales, gallery.scales):
        raise DataError("query and gallery codes must share their scales")
    weights = gallery.scales.astype(np.float64) ** 2
    g = gallery.codes.astype(np.float64)
    g_norms = (g * g) @ weights
    rows = []
    for start in range(0, len(queries.codes), _CHUNK):
        q = queries.codes[start:start + _CHUNK].astype(np.float64)
        rows.append(((q * q) @ weights)[:, None] - 2.0 * (q * weights) @ g.T + g_norms)
    return np.maximum(np.concatenate(rows), 0.0)

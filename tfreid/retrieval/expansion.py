"""Query expansion and database-side augmentation of unit features (cosine similarity).

alpha-QE (Radenovic et al., "Fine-tuning CNN Image Retrieval with No Human Annotation",
TPAMI 2018; alpha = 0 is the average query expansion of Chum et al., ICCV 2007): with
x the L2-normalised features and N_k(q) the k gallery features most similar to query q,

    q' = normalise( x_q + sum_{j in N_k(q)} max(x_q . x_j, 0)^alpha x_j ),

the query itself weighing 1 (its similarity to itself). Database-side augmentation (DBA,
same paper; Arandjelovic and Zisserman, CVPR 2012) replaces every gallery feature by the
same weighted sum over itself and its k most similar *other* gallery features. Retrieval
then compares expanded queries with (augmented) gallery features as before. Negative
similarities count as 0 (a fractional power of a negative number is undefined), and with
alpha = 0 every neighbour weighs 0^0 = 1.

fast-reid's ``aqe`` (``fastreid/evaluation/query_expansion.py``, configured with
``QE_K`` 5 and ``ALPHA`` 3) takes the mean of sim^alpha x over the ``QE_K`` most similar
of query and gallery pooled, the vector itself among them, so k = 4 and alpha = 3 here
are its defaults; it sums the features as given (here: unit ones) and lets queries
expand each other (here: only gallery features expand a query). The mean is the sum over
k + 1 features, which normalising removes. Neighbours come from faiss's exact
inner-product search, the weights and sums in float64; features come back float32, unit
length.
"""

import numpy as np

from tfreid.errors import ConfigError, DataError

_ROWS = 4096  # rows expanded at a time


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    if x.ndim != 2 or not len(x) or not np.isfinite(x).all():
        raise DataError(f"features must be a non-empty finite (n, dim) array, got {x.shape}")
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _check(k: int, alpha: float) -> None:
    if k < 0 or alpha < 0:
        raise ConfigError(f"k and alpha must be >= 0, got k={k}, alpha={alpha}")


def _expanded(points: np.ndarray, neighbours: np.ndarray, base: np.ndarray,
              alpha: float) -> np.ndarray:
    """normalise(point + sum over its neighbours of max(sim, 0)^alpha neighbour), float32."""
    out = np.empty(points.shape, np.float32)
    for start in range(0, len(points), _ROWS):
        own = points[start:start + _ROWS]
        near = base[neighbours[start:start + _ROWS]]  # (n, k, dim)
        weights = np.maximum(np.einsum("nd,nkd->nk", own, near), 0.0) ** alpha
        summed = own + np.einsum("nk,nkd->nd", weights, near)
        out[start:start + _ROWS] = summed / np.linalg.norm(summed, axis=1, keepdims=True)
    return out


def _search(queries: np.ndarray, base: np.ndarray, k: int) -> np.ndarray:
    import faiss

    if k == 0:
        return np.zeros((len(queries), 0), np.int64)
    _, found = faiss.knn(queries.astype(np.float32), base.astype(np.float32), k,
                         metric=faiss.METRIC_INNER_PRODUCT)
    return found


def query_expansion(query: np.ndarray, gallery: np.ndarray, k: int = 4,
                    alpha: float = 3.0) -> np.ndarray:
    """alpha-QE: each query as the normalised weighted sum of itself and its ``k`` most
    similar gallery features (module docstring); (q, dim) float32 unit vectors."""
    _check(k, alpha)
    query, gallery = _unit(query), _unit(gallery)
    if query.shape[1] != gallery.shape[1]:
        raise DataError(f"query dim {query.shape[1]} != gallery dim {gallery.shape[1]}")
    k = min(k, len(gallery))
    return _expanded(query, _search(query, gallery, k), gallery, alpha)


def database_augmentation(gallery: np.ndarray, k: int = 4, alpha: float = 3.0) -> np.ndarray:
    """DBA: each gallery feature as the normalised weighted sum of itself and its ``k`` most
    similar other gallery features (module docstring); (g, dim) float32 unit vectors."""
    _check(k, alpha)
    gallery = _unit(gallery)
    k = min(k, len(gallery) - 1)
    found = _search(gallery, gallery, k + 1)
    is_self = found == np.arange(len(gallery))[:, None]
    # drop the feature itself, or the last found where equal features hid it
    drop = np.where(is_self.any(1), is_self.argmax(1), k)
    keep = np.arange(k + 1)[None, :] != drop[:, None]
    return _expanded(gallery, found[keep].reshape(len(gallery), k), gallery, alpha)

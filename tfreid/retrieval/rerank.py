"""k-reciprocal re-ranking (Zhong et al., "Re-ranking Person Re-identification with
k-reciprocal Encoding", CVPR 2017), the algorithm torchreid (``torchreid/utils/rerank.py``)
and fast-reid (``fastreid/evaluation/rerank.py``) ship, in bounded memory.

The N = q + g query and gallery features (float32) are pooled. With
D2(i, j) = ||x_i - x_j||^2 (computed in float64, rounded to float32) and
m_i = max_j D2(i, j), the normalised distance is d(i, j) = D2(i, j) / m_i (float32, as
the reference's ``original_dist``, which squares the distances it is given: those are
Euclidean in Zhong et al.'s code; torchreid's engine gives it its squared ones, so
there d is D2^2 / max D2^2). N(i, k) are the k + 1 nearest of i by d, ties by
index (a stable argsort of the row: the reference's default ``np.argsort`` is not
stable, so where a tie straddles the k-th place which tied points it keeps depends on
numpy's sort; by index is the order its loop would give with ``kind="stable"``);

* R(i, k) = {j in N(i, k) : i in N(j, k)} (k-reciprocal neighbours);
* E(i) = R(i, k1) + every R(c, round(k1 / 2)), c in R(i, k1), that shares more than
  2/3 of its members with R(i, k1);
* V(i, j) = exp(-d(i, j)) / sum_{l in E(i)} exp(-d(i, l)) for j in E(i), else 0;
* if k2 != 1, V(i) <- mean of V(j) over the k2 entries of N(i, k2) (local expansion);
* J(i, j) = 1 - s / (2 - s), s = sum_l min(V(i, l), V(j, l)) (Jaccard distance);
* the result, query i x gallery j: (1 - lambda) J(i, j) + lambda d(i, j).

The reference builds dense N x N matrices (d, its argsort, V, the expanded V): 4 to
5 N^2 numbers. Here faiss's exact brute force (``faiss.pairwise_distances``, float32) runs
once over the upper triangle of the N x N matrix, a block of rows at a time (``_scan``):
from each block come candidates for every row's maximum and its nearest neighbours (its
own rows', and, transposed, its later columns'), and only those are kept; V is sparse
(about k1 entries a row) and the result is computed ``chunk_size`` queries at a time, so
memory grows with N (and the chunk times g), not N^2. faiss's value F of D2 is off by at
most e_i = (dim + 4) 2^-22 (||x_i||^2 + max_j ||x_j||^2) (Higham's bound for float32 dot
products, doubled), so:

* the farthest point is among those with F >= max F - 2 e_i, measured exactly;
* every point that can come before the k-th nearest F_k, once D2 is exact and rounded
  to float32 and divided by m_i, has F <= F_k + 2 e_i + 2^-20 (F_k + e_i) (a relative
  gap of 2^-20 survives both float32 roundings); those candidates are measured exactly
  and sorted by (d, index), as a stable dense argsort sorts the row, ties included.

The query x gallery d comes from float64 products, a chunk of queries against a block
of the gallery at a time (``distances_to``: equal gallery features in one block get
exactly equal distances; in two blocks, equal to float64 round-off, so equal after the
float32 rounding but for a chance of about 1e-6). Sums run in the reference's order
and precision (float32; np.sum per row, the expansion's mean in rank order, the Jaccard
sum over l in increasing order), so equal features get exactly equal distances and, with
exact squared distances, the result is the reference's bit for bit.
"""

from collections.abc import Callable, Iterator

import numpy as np

from tfreid.errors import ConfigError, DataError

_PAIR_ELEMENTS = 2**22  # float64 feature values gathered at once by exact pair distances
_BLOCK_ELEMENTS = 2**25  # faiss squared distances held at once (128 MiB of float32)
_SAMPLE = 4096  # columns of a block whose k-th smallest bounds the row's k-th smallest
_ROWS = 4096  # rows expanded at a time
_GALLERY_ELEMENTS = 2**24  # gallery values in one float64 block of the exact d (128 MiB)


def _pair_distances(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """||x[rows] - x[cols]||^2 in float64, pair by pair."""
    out = np.empty(len(rows), np.float64)
    step = max(1, _PAIR_ELEMENTS // x.shape[1])
    for start in range(0, len(rows), step):
        part = slice(start, start + step)
        diff = np.subtract(x[rows[part]], x[cols[part]], dtype=np.float64)
        out[part] = np.einsum("ij,ij->i", diff, diff)
    return out


def _normalised(x: np.ndarray, maxima: np.ndarray, rows: np.ndarray,
                cols: np.ndarray) -> np.ndarray:
    """d(rows, cols) = D2 / m_rows in float32, as the reference rounds it."""
    return _pair_distances(x, rows, cols).astype(np.float32) / maxima[rows]


def _reach(kth: np.ndarray, error: np.ndarray) -> np.ndarray:
    """How far faiss's k-th smallest value reaches: every point whose exact distance can
    come before the k-th's, after float32 rounding, is within it (module docstring)."""
    return kth + 2 * error + 2.0**-20 * (kth + error)


def _nearest_candidates(block: np.ndarray, error: np.ndarray, k: int) -> tuple:
    """((rows, cols) of each row of ``block`` within reach of its k-th smallest, that k-th
    smallest (inf where the row has fewer than k)): a sample of the columns bounds it, the
    values under the bound give it."""
    if block.shape[1] < k:
        return np.nonzero(np.ones(block.shape, bool)), np.full(len(block), np.inf)
    sample = block[:, ::max(1, block.shape[1] // max(_SAMPLE, 4 * k))]
    ceiling = _reach(np.partition(sample, k - 1, axis=1)[:, k - 1], error)
    rows, cols = np.nonzero(block <= ceiling[:, None])
    values = block[rows, cols]
    counts = np.bincount(rows, minlength=len(block))
    padded = np.full((len(block), counts.max()), np.inf, np.float32)
    padded[rows, np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)] = values
    kth = np.partition(padded, k - 1, axis=1)[:, k - 1]
    keep = values <= _reach(kth, error)[rows]
    return (rows[keep], cols[keep]), kth


def _farthest_candidates(block: np.ndarray, error: np.ndarray, axis: int) -> tuple:
    """(rows, cols) of ``block`` within 2 error of the largest value along ``axis`` (of a
    row: axis 1; of a column: axis 0)."""
    largest = np.expand_dims(block.max(axis=axis) - 2 * error, axis)
    return np.nonzero(block >= largest)


class _Candidates:
    """(rows, cols, F) of candidate pairs, gathered block by block: ``near`` ones for the
    nearest neighbours, ``far`` ones for the farthest point."""

    def __init__(self) -> None:
        self.parts: dict[str, list] = {"near": [], "far": []}

    def add(self, kind: str, block: np.ndarray, found: tuple, rows: np.ndarray,
            cols: np.ndarray, transposed: bool = False) -> None:
        """The pairs ``found`` in ``block`` (F of points ``rows`` to ``cols``; with
        ``transposed``, of points ``cols`` to ``rows``)."""
        r, c = found
        pair = (cols[c], rows[r]) if transposed else (rows[r], cols[c])
        self.parts[kind].append((*pair, block[r, c]))

    def final(self, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, F) of one kind, sorted by row, then F, then column."""
        rows, cols, values = (np.concatenate(part) for part in zip(*self.parts[kind],
                                                                      strict=True))
        order = np.lexsort((cols, values, rows))
        return rows[order], cols[order], values[order]


def _nth_of_rows(rows: np.ndarray, values: np.ndarray, n: int | None, count: int) -> np.ndarray:
    """Each row's n-th value (0-based; None: its last) of (rows, values) sorted by row."""
    starts = np.searchsorted(rows, np.arange(count))
    ends = np.append(starts[1:], len(rows))
    return values[ends - 1 if n is None else starts + n]


def _farthest(x: np.ndarray, far: tuple, error: np.ndarray) -> np.ndarray:
    """m_i: the exact maximum over the points faiss puts within 2 error of its largest
    value for i (the true farthest is among them)."""
    rows, cols, values = far
    largest = _nth_of_rows(rows, values, None, len(x))
    keep = values >= (largest - 2 * error)[rows]
    maxima = np.zeros(len(x), np.float64)
    np.maximum.at(maxima, rows[keep], _pair_distances(x, rows[keep], cols[keep]))
    if not (maxima > 0).all():
        raise DataError("every feature is the same: re-ranking has no distance to normalise")
    return maxima.astype(np.float32)


def _scan(x: np.ndarray, norms: np.ndarray, k: int) -> tuple:
    """(m, nearest, measured): every point's maximum, its k nearest by (d, index) and the
    (sorted keys i N + j, d) of the candidate pairs measured exactly, from one brute-force
    pass of faiss over the upper triangle of the distance matrix (F is symmetric to within
    the error bound, so half of N^2 is computed). A block of rows against the columns from
    its first row on serves its rows and, transposed, the rows of its later columns; blocks
    run last first, so a later row's k-th smallest over its own block bounds its k-th
    smallest when earlier blocks bring its other columns."""
    import faiss

    error = (x.shape[1] + 4) * 2.0**-22 * (norms + norms.max())
    candidates, bound = _Candidates(), np.full(len(x), np.inf)
    step = max(1, _BLOCK_ELEMENTS // len(x))
    for first in reversed(range(0, len(x), step)):
        block = faiss.pairwise_distances(x[first:first + step], x[first:])
        rows, cols = np.arange(first, first + len(block)), np.arange(first, len(x))
        near, bound[rows] = _nearest_candidates(block, error[rows], k)
        candidates.add("near", block, near, rows, cols)
        candidates.add("far", block, _farthest_candidates(block, error[rows], 1), rows, cols)
        later = block[:, len(block):]
        cols = cols[len(block):]
        if len(cols):
            near = np.nonzero(later <= _reach(bound[cols], error[cols])[None, :])
            candidates.add("near", later, near, rows, cols, transposed=True)
            candidates.add("far", later, _farthest_candidates(later, error[cols], 0), rows,
                           cols, transposed=True)
        del block, later
    maxima = _farthest(x, candidates.final("far"), error)
    rows, cols, values = candidates.final("near")
    keep = values <= _reach(_nth_of_rows(rows, values, k - 1, len(x)), error)[rows]
    rows, cols = rows[keep], cols[keep]
    normalised = _normalised(x, maxima, rows, cols)
    order = np.lexsort((cols, normalised, rows))
    rows, cols, normalised = rows[order], cols[order], normalised[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    nearest = np.empty((len(x), k), np.int64)
    nearest[rows[rank < k], rank[rank < k]] = cols[rank < k]
    keys = rows * len(x) + cols
    order = np.argsort(keys)
    return maxima, nearest, (keys[order], normalised[order])


def _lookup(x: np.ndarray, maxima: np.ndarray, measured: tuple, rows: np.ndarray,
            cols: np.ndarray) -> np.ndarray:
    """d(rows, cols): the scan's value where it measured the pair, else measured now."""
    keys, values = measured
    wanted = rows * len(x) + cols
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found = keys[at] == wanted
    out = np.empty(len(rows), np.float32)
    out[found] = values[at[found]]
    out[~found] = _normalised(x, maxima, rows[~found], cols[~found])
    return out


def _reciprocal(nearest: np.ndarray, k: int) -> np.ndarray:
    """R(i, k) as (N, k + 1) rows of N(i, k) with -1 where i is not in N(j, k)."""
    near = nearest[:, :k + 1]
    out = np.empty_like(near)
    for start in range(0, len(near), _ROWS):
        part = near[start:start + _ROWS]
        me = np.arange(start, start + len(part))[:, None, None]
        out[start:start + len(part)] = np.where((near[part] == me).any(-1), part, -1)
    return out


def _expansion(full: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of every E(i), sorted: R(i, k1) plus the R(c, k1 / 2) it accepts."""
    count = len(full)
    keys = []
    for start in range(0, count, _ROWS):
        own = full[start:start + _ROWS]
        theirs = np.where(own[..., None] >= 0, half[np.maximum(own, 0)], -1)
        inside = ((theirs[..., None] == own[:, None, None, :]) & (theirs[..., None] >= 0))
        common = inside.any(-1).sum(-1)
        accept = (common > 2.0 / 3 * (theirs >= 0).sum(-1)) & (own >= 0)
        me = np.arange(start, start + len(own))
        added = np.where(accept[..., None], theirs, -1).reshape(len(own), -1)
        members = np.concatenate([own, added], axis=1)
        valid = members >= 0
        keys.append(np.repeat(me, valid.sum(1)) * count + members[valid])
    keys = np.unique(np.concatenate(keys))
    return keys // count, keys % count


def _row_sums(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """np.sum of each row's values, rows of one length summed together (same rounding)."""
    sums = np.empty(len(lengths), values.dtype)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        sums[rows] = values[starts[rows, None] + np.arange(length)].sum(axis=1)
    return sums


def _encode(x, maxima, measured, rows, cols) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """V as CSR (indptr, indices, data): exp(-d) over E(i), normalised per row."""
    weights = np.exp(-_lookup(x, maxima, measured, rows, cols))
    lengths = np.bincount(rows, minlength=len(x))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    return indptr, cols, weights / _row_sums(weights, indptr[:-1], lengths)[rows]


def _gather(indptr: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position of each source row in the output, CSR positions of its entries), the
    entries of ``sources`` one row after another."""
    lengths = indptr[sources + 1] - indptr[sources]
    owner = np.repeat(np.arange(len(sources)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, np.repeat(indptr[sources], lengths) + offsets


def _local_expansion(v: tuple, nearest: np.ndarray, k2: int) -> tuple:
    """V(i) <- mean of V(j), j in N(i, k2), summed in rank order in float32 as np.mean."""
    indptr, indices, data = v
    count = len(indptr) - 1
    keys, values = [], []
    for start in range(0, count, _ROWS):
        group = nearest[start:start + _ROWS, :k2]
        owner, positions = _gather(indptr, group.ravel())
        flat = (start + owner // group.shape[1]) * count + indices[positions]
        unique, inverse = np.unique(flat, return_inverse=True)
        sums = np.zeros(len(unique), np.float32)
        np.add.at(sums, inverse, data[positions])
        keys.append(unique)
        values.append(sums / np.float32(group.shape[1]))
    keys = np.concatenate(keys)
    lengths = np.bincount(keys // count, minlength=count)
    return np.concatenate([[0], np.cumsum(lengths)]), keys % count, np.concatenate(values)


def _inverted(v: tuple, first: int) -> tuple:
    """The entries of rows >= ``first`` (the gallery) by column: CSC (indptr, rows, data)."""
    indptr, indices, data = v
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    keep = rows >= first
    rows, cols, data = rows[keep] - first, indices[keep], data[keep]
    order = np.lexsort((rows, cols))
    lengths = np.bincount(cols, minlength=len(indptr) - 1)
    return np.concatenate([[0], np.cumsum(lengths)]), rows[order], data[order]


def _jaccard(v: tuple, inverted: tuple, part: slice, gallery_count: int) -> np.ndarray:
    """J(i, j) for queries ``part`` x the gallery; s summed over l in increasing order."""
    indptr, indices, data = v
    owner, positions = _gather(indptr, np.arange(part.start, part.stop))
    col_ptr, gallery_rows, gallery_values = inverted
    hit, hit_positions = _gather(col_ptr, indices[positions])
    shared = np.zeros((part.stop - part.start) * gallery_count, np.float32)
    np.add.at(shared, owner[hit] * gallery_count + gallery_rows[hit_positions],
              np.minimum(data[positions][hit], gallery_values[hit_positions]))
    shared = shared.reshape(-1, gallery_count)
    return 1 - shared / (2. - shared)


def _pooled(query: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    query, gallery = np.asarray(query), np.asarray(gallery)
    if query.ndim != 2 or gallery.ndim != 2 or query.shape[1] != gallery.shape[1]:
        raise DataError(f"query {query.shape} and gallery {gallery.shape} must be (n, dim) "
                        "features of one dim")
    if not len(query) or not len(gallery):
        raise DataError("empty query or gallery: nothing to re-rank")
    pooled = np.ascontiguousarray(np.concatenate([query, gallery]), dtype=np.float32)
    if not np.isfinite(pooled).all():
        raise DataError("features to re-rank must be finite")
    return pooled


def _check(k1: int, k2: int, lambda_value: float, chunk_size: int) -> None:
    if min(k1, k2, chunk_size) < 1:
        raise ConfigError(f"k1, k2 and chunk_size must be >= 1, got {k1}, {k2}, {chunk_size}")
    if not 0.0 <= lambda_value <= 1.0:
        raise ConfigError(f"lambda_value must be in [0, 1], got {lambda_value}")


def _squared_norms(x: np.ndarray) -> np.ndarray:
    return np.concatenate([np.einsum("ij,ij->i", part, part, dtype=np.float64)
                           for part in np.array_split(x, max(1, len(x) // _ROWS))])


def _encoding(x: np.ndarray, k1: int, k2: int) -> tuple[np.ndarray, tuple]:
    """(m, V after the local expansion as CSR over all N points)."""
    maxima, nearest, measured = _scan(x, _squared_norms(x), min(max(k1 + 1, k2), len(x)))
    rows, cols = _expansion(_reciprocal(nearest, k1), _reciprocal(nearest, round(k1 / 2)))
    v = _encode(x, maxima, measured, rows, cols)
    return maxima, v if k2 == 1 else _local_expansion(v, nearest, k2)


def _to_gallery(gallery: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """D2 (float32) of queries to the gallery, computed in float64 against blocks of the
    gallery (``distances_to``, each holding its block in float64)."""
    from tfreid.metrics.ranking import distances_to

    step = max(1, _GALLERY_ELEMENTS // gallery.shape[1])
    blocks = [distances_to(gallery[start:start + step], "squared_euclidean", np.float64)
              for start in range(0, len(gallery), step)]

    def distances(queries: np.ndarray) -> np.ndarray:
        out = np.empty((len(queries), len(gallery)), np.float32)
        for number, block in enumerate(blocks):
            out[:, number * step:(number + 1) * step] = block(queries)
        return out

    return distances


def _chunks(x: np.ndarray, first: int, k1: int, k2: int, lambda_value: float,
            chunk_size: int) -> Iterator[tuple[slice, np.ndarray]]:
    maxima, v = _encoding(x, k1, k2)
    inverted = _inverted(v, first)
    to_gallery = _to_gallery(x[first:])
    for start in range(0, first, chunk_size):
        part = slice(start, min(start + chunk_size, first))
        original = to_gallery(x[part]) / maxima[part, None]
        jaccard = _jaccard(v, inverted, part, len(x) - first)
        yield part, jaccard * (1 - lambda_value) + original * lambda_value


def iter_reranked_distances(query: np.ndarray, gallery: np.ndarray, k1: int = 20, k2: int = 6,
                            lambda_value: float = 0.3, chunk_size: int = 256,
                            ) -> Iterator[tuple[slice, np.ndarray]]:
    """(rows, distances) for ``chunk_size`` queries at a time: the re-ranked distances of
    queries ``rows`` to the whole gallery, float32 (module docstring). The arguments are
    checked here; the work starts with the first chunk asked for."""
    _check(k1, k2, lambda_value, chunk_size)
    return _chunks(_pooled(query, gallery), len(np.asarray(query)), k1, k2, lambda_value,
                   chunk_size)


def k_reciprocal_rerank(query: np.ndarray, gallery: np.ndarray, k1: int = 20, k2: int = 6,
                        lambda_value: float = 0.3, chunk_size: int = 256) -> np.ndarray:
    """The (q, g) re-ranked distances (float32) of ``query`` to ``gallery`` features;
    ``iter_reranked_distances`` gives them a chunk of queries at a time."""
    out = np.empty((len(np.asarray(query)), len(np.asarray(gallery))), np.float32)
    for part, distances in iter_reranked_distances(query, gallery, k1, k2, lambda_value,
                                                   chunk_size):
        out[part] = distances
    return out

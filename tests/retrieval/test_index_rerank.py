"""An index searched with re-ranking: the top k of the re-ranked distances over its entries,
the vectors it holds as searched, and the search command's --rerank."""

import numpy as np
import pytest

from tfreid.retrieval import EmbeddingIndex
from tfreid.retrieval.rerank import k_reciprocal_rerank


def clustered(seed=0, people=10, views=4, dim=8):
    rng = np.random.default_rng(seed)
    x = np.repeat(rng.normal(size=(people, dim)), views, axis=0)
    x += 0.7 * rng.normal(size=x.shape)
    return x.astype(np.float32), np.repeat(np.arange(people), views)


@pytest.mark.parametrize("kind, exact", [("flat", True), ("hnsw", True), ("int8", False),
                                         ("ivfpq", False)])
def test_the_index_gives_back_its_vectors_as_searched(kind, exact):
    gallery, ids = clustered()
    parameters = {"nlist": 2, "pq_m": 4, "pq_bits": 4} if kind == "ivfpq" else {}
    index = EmbeddingIndex(8, kind=kind, **parameters)
    index.add(np.concatenate([gallery] * 4) if kind == "ivfpq" else gallery)
    vectors = index.vectors()[:len(gallery)]
    assert vectors.shape == gallery.shape and vectors.dtype == np.float32
    if exact:
        np.testing.assert_array_equal(vectors, gallery)
    else:  # int8: one code step (max |x| / 127 a dimension); PQ: a coarse reconstruction
        tolerance = np.abs(gallery).max(0) / 127 if kind == "int8" else np.abs(gallery).max()
        assert (np.abs(vectors - gallery) <= tolerance).all()


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_reranked_search_is_the_top_k_of_the_reranked_distances(metric):
    gallery, ids = clustered(seed=1)
    queries = clustered(seed=1)[0][::4] + 0.1
    index = EmbeddingIndex(8, metric=metric)
    index.add(gallery, ids)
    result = index.search(queries, k=5, rerank=True)
    unit = (lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)) if metric == "cosine" \
        else (lambda x: x)
    dense = k_reciprocal_rerank(unit(queries), unit(gallery))
    order = np.argsort(dense, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(result.indices, order)
    np.testing.assert_allclose(result.distances, np.take_along_axis(dense, order, 1),
                               rtol=1e-6)
    np.testing.assert_array_equal(result.identities, ids[order])
    plain = index.search(queries, k=5)
    assert not np.array_equal(plain.indices, result.indices)  # re-ranking reordered some


def test_more_results_asked_than_entries_are_padded():
    gallery, ids = clustered(people=2, views=2)
    index = EmbeddingIndex(8)
    index.add(gallery, ids)
    result = index.search(gallery[:1], k=6, rerank=True)
    assert result.indices[0, 4:].tolist() == [-1, -1]
    assert np.isinf(result.distances[0, 4:]).all() and np.isfinite(result.distances[0, :4]).all()

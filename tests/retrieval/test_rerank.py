"""k-reciprocal re-ranking against a dense NumPy transcription of the reference (torchreid's
and fast-reid's ``re_ranking``), on tied and clustered data, chunk by chunk."""

import numpy as np
import pytest

from tfreid.errors import ConfigError, DataError
from tfreid.metrics.ranking import match_ranks, scores_of_ranks
from tfreid.retrieval.rerank import iter_reranked_distances, k_reciprocal_rerank


def reference_rerank(query, gallery, k1=20, k2=6, lambda_value=0.3):
    """``re_ranking(q_g, q_q, g_g, k1, k2, lambda_value)`` of torchreid / fast-reid, dense,
    fed Euclidean distances (it squares them): here the squared distances are computed
    exactly (float64, then float32), and the argsort is stable (numpy's default one orders
    ties as its sorting network happens to)."""
    feats = np.concatenate([query, gallery]).astype(np.float64)
    original_dist = ((feats[:, None] - feats[None]) ** 2).sum(-1).astype(np.float32)
    original_dist = np.transpose(1. * original_dist / np.max(original_dist, axis=0))
    V = np.zeros_like(original_dist).astype(np.float32)  # noqa: N806 (the reference's names)
    initial_rank = np.argsort(original_dist, kind="stable").astype(np.int32)
    query_num, all_num = len(query), len(feats)
    half = int(np.around(k1 / 2.))
    for i in range(all_num):
        forward = initial_rank[i, :k1 + 1]
        backward = initial_rank[forward, :k1 + 1]
        k_reciprocal_index = forward[np.where(backward == i)[0]]
        expansion = k_reciprocal_index
        for candidate in k_reciprocal_index:
            candidate_forward = initial_rank[candidate, :half + 1]
            candidate_backward = initial_rank[candidate_forward, :half + 1]
            candidate_index = candidate_forward[np.where(candidate_backward == candidate)[0]]
            if len(np.intersect1d(candidate_index, k_reciprocal_index)) > 2. / 3 * len(
                    candidate_index):
                expansion = np.append(expansion, candidate_index)
        expansion = np.unique(expansion)
        weight = np.exp(-original_dist[i, expansion])
        V[i, expansion] = 1. * weight / np.sum(weight)
    original_dist = original_dist[:query_num, ]
    if k2 != 1:
        V_qe = np.zeros_like(V, dtype=np.float32)  # noqa: N806
        for i in range(all_num):
            V_qe[i, :] = np.mean(V[initial_rank[i, :k2], :], axis=0)
        V = V_qe  # noqa: N806
    inv_index = [np.where(V[:, i] != 0)[0] for i in range(all_num)]
    jaccard_dist = np.zeros_like(original_dist, dtype=np.float32)
    for i in range(query_num):
        temp_min = np.zeros(shape=[1, all_num], dtype=np.float32)
        non_zero = np.where(V[i, :] != 0)[0]
        for j in non_zero:
            temp_min[0, inv_index[j]] = temp_min[0, inv_index[j]] + np.minimum(
                V[i, j], V[inv_index[j], j])
        jaccard_dist[i] = 1 - temp_min / (2. - temp_min)
    final_dist = jaccard_dist * (1 - lambda_value) + original_dist * lambda_value
    return final_dist[:query_num, query_num:]


def tied(seed=0):
    """Points of a small integer grid (exact distances, many equal), a few repeated, one
    30 times (a tie wider than the neighbours fetched past k1): 60 queries, 190 gallery."""
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 4, size=(200, 5)).astype(np.float32)
    points = np.concatenate([points, points[:20], np.repeat(points[20:21], 30, axis=0)])
    points = points[rng.permutation(len(points))]
    return points[:60], points[60:]


def clustered(identities=40, per_identity=8, dim=32, seed=0):
    """Gaussian clusters standing for identities: 2 queries and the rest gallery each."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(identities, dim)) * 1.5
    labels = np.repeat(np.arange(identities), per_identity)
    points = (centres[labels] + rng.normal(size=(len(labels), dim))).astype(np.float32)
    is_query = np.tile(np.arange(per_identity) < 2, identities)
    return points[is_query], labels[is_query], points[~is_query], labels[~is_query]


def scores(distances, query_ids, gallery_ids):
    """rank-1 and mAP of a precomputed (q, g) distance matrix (ties against the query)."""
    q, g = distances.shape
    ranks = match_ranks(np.arange(q)[:, None], query_ids, np.arange(g)[:, None], gallery_ids,
                        metric=lambda a, b: distances[a[:, 0]][:, b[:, 0]])
    result = scores_of_ranks(ranks, 20)
    return result["rank1"], result["mAP"]


@pytest.mark.parametrize("k1, k2, chunk_size", [(20, 6, 7), (20, 6, 1000), (5, 2, 16),
                                                (3, 1, 60), (2, 3, 1)])
def test_equals_the_reference_bit_for_bit_with_ties(k1, k2, chunk_size):
    # integer features: every squared distance is exact, so both sides do the same float32
    # operations on the same numbers in the same order: equal bits, ties included
    query, gallery = tied()
    expected = reference_rerank(query, gallery, k1, k2)
    np.testing.assert_array_equal(k_reciprocal_rerank(query, gallery, k1, k2,
                                                       chunk_size=chunk_size), expected)


@pytest.mark.parametrize("k1, k2", [(20, 6), (6, 3), (4, 1)])
def test_equals_the_reference_on_clustered_features(k1, k2):
    query, query_ids, gallery, gallery_ids = clustered()
    expected = reference_rerank(query, gallery, k1, k2)
    found = k_reciprocal_rerank(query, gallery, k1, k2, chunk_size=32)
    # the squared distances differ at most in their float32 rounding (an ulp, 6e-8
    # relative): a few float32 operations on values <= 1 later, well within 1e-6
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(scores(found, query_ids, gallery_ids),
                               scores(expected, query_ids, gallery_ids), rtol=0, atol=1e-6)


def test_a_gallery_smaller_than_k1():
    # 13 points for 21 neighbours: every list is the whole pool, as the reference's slices
    query, gallery = tied(seed=1)
    np.testing.assert_array_equal(k_reciprocal_rerank(query[:5], gallery[:8]),
                                  reference_rerank(query[:5], gallery[:8]))


@pytest.mark.parametrize("lambda_value", [0.0, 1.0])
def test_lambda_at_its_ends(lambda_value):
    query, _, gallery, _ = clustered(identities=10)
    found = k_reciprocal_rerank(query, gallery, 8, 3, lambda_value)
    np.testing.assert_array_equal(found, reference_rerank(query, gallery, 8, 3, lambda_value))
    if lambda_value == 1.0:  # the original distance alone: D2 / the max over all N points
        every = np.concatenate([query, gallery]).astype(np.float64)
        squared = ((query[:, None].astype(np.float64) - gallery[None]) ** 2).sum(-1)
        maxima = ((query[:, None].astype(np.float64) - every[None]) ** 2).sum(-1).max(1)
        np.testing.assert_allclose(found, squared / maxima[:, None], rtol=1e-6)
    else:  # the Jaccard distance alone: 1 where two points share no k-reciprocal neighbour
        assert found.max() == 1.0 and found.min() < 0.5


def test_chunks_cover_the_queries_in_order():
    query, _, gallery, _ = clustered(identities=10)
    parts = list(iter_reranked_distances(query, gallery, 8, 3, chunk_size=6))
    assert [(p.start, p.stop) for p, _ in parts] == [(0, 6), (6, 12), (12, 18), (18, 20)]
    np.testing.assert_array_equal(np.concatenate([d for _, d in parts]),
                                  k_reciprocal_rerank(query, gallery, 8, 3))


def test_refuses_what_it_cannot_rank():
    same = np.ones((4, 3), np.float32)
    with pytest.raises(DataError, match="same"):
        k_reciprocal_rerank(same, same)
    with pytest.raises(DataError, match="one dim"):
        k_reciprocal_rerank(same, np.ones((4, 2)))
    with pytest.raises(DataError, match="finite"):
        k_reciprocal_rerank(same, np.full((4, 3), np.nan))
    with pytest.raises(ConfigError, match="k1"):
        k_reciprocal_rerank(same, same, k1=0)
    with pytest.raises(ConfigError, match="lambda"):
        k_reciprocal_rerank(same, same, lambda_value=1.5)


def test_equals_the_reference_where_faiss_float32_misorders_neighbours():
    # features far from the origin: faiss's ||a||^2 + ||b||^2 - 2 a.b in float32 loses
    # the digits that order near neighbours; the candidates it gives are measured exactly
    import faiss

    query, query_ids, gallery, gallery_ids = clustered(identities=20, dim=16)
    query, gallery = query + 300.0, gallery + 300.0
    every = np.concatenate([query, gallery])
    by_faiss = np.argsort(faiss.pairwise_distances(every, every), axis=1, kind="stable")
    exact = ((every[:, None].astype(np.float64) - every[None]) ** 2).sum(-1)
    assert (by_faiss[:, :21] != np.argsort(exact, axis=1, kind="stable")[:, :21]).any()
    found = k_reciprocal_rerank(query, gallery, chunk_size=16)
    expected = reference_rerank(query, gallery)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6)
    assert scores(found, query_ids, gallery_ids) == scores(expected, query_ids, gallery_ids)


@pytest.mark.parametrize("block_rows", [3, 37])
@pytest.mark.parametrize("data", ["tied", "clustered"])
def test_small_blocks_give_the_same_result(monkeypatch, data, block_rows):
    # blocks of 37 (or 3: fewer than k) rows for faiss, their columns from the block's
    # first row on (the rest from later blocks, transposed), 7 gallery rows for the exact
    # d, 50 rows expanded at a time, neighbours bounded from every 3rd column: the large-N
    # code paths on small data
    import tfreid.retrieval.rerank as rerank

    query, gallery = tied() if data == "tied" else clustered()[0::2]
    every = len(query) + len(gallery)
    for name, value in (("_BLOCK_ELEMENTS", block_rows * every), ("_SAMPLE", every // 3),
                        ("_GALLERY_ELEMENTS", 7 * query.shape[1]), ("_ROWS", 50),
                        ("_PAIR_ELEMENTS", 5 * query.shape[1])):
        monkeypatch.setattr(rerank, name, value)
    np.testing.assert_array_equal(k_reciprocal_rerank(query, gallery, 6, 3, chunk_size=9),
                                  reference_rerank(query, gallery, 6, 3))

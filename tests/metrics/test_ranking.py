import numpy as np
import pytest

from tfreid.errors import DataError
from tfreid.metrics import evaluate_ranking, pairwise_distances
from tfreid.metrics.ranking import match_ranks

pytestmark = pytest.mark.numeric  # ties and rounding in the evaluator


def reference_ranking(q, qid, qcam, g, gid, gcam, max_rank):
    """Per-query loop, written straight from the Market-1501 protocol: the whole gallery
    sorted by distance, a non-match before a match at the same distance."""
    cmc_rows, aps, invalid = [], [], 0
    for i in range(len(q)):
        dist = np.sqrt(((g - q[i]) ** 2).sum(axis=1))
        order = np.lexsort((gid == qid[i], dist))
        keep = [j for j in order if not (gid[j] == qid[i] and gcam[j] == qcam[i])]
        good = [gid[j] == qid[i] for j in keep]
        if not any(good):
            invalid += 1
            continue
        first = good.index(True)
        cmc_rows.append([1.0 if first < k else 0.0 for k in range(1, max_rank + 1)])
        hits, precisions = 0, []
        for rank, is_good in enumerate(good, start=1):
            if is_good:
                hits += 1
                precisions.append(hits / rank)
        aps.append(np.mean(precisions))
    return np.mean(cmc_rows, axis=0), float(np.mean(aps)), invalid


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("seed, ties", [(0, False), (1, False), (2, True), (3, True)])
def test_matches_loop_reference_with_cameras_and_distractors(seed, ties, dtype):
    rng = np.random.default_rng(seed)
    gid = np.concatenate([rng.integers(1, 12, 150), np.zeros(30, dtype=int)])  # 0: distractors
    gcam = rng.integers(1, 4, len(gid))
    qid = rng.integers(1, 14, 40)  # ids 12, 13 have no gallery entry at all
    qcam = rng.integers(1, 4, len(qid))
    q = (rng.normal(size=(40, 8)) + qid[:, None] * 0.3).astype(dtype)
    g = (rng.normal(size=(len(gid), 8)) + gid[:, None] * 0.3).astype(dtype)
    if ties:  # integer coordinates: many equal distances, matches and non-matches alike
        q, g = np.rint(q), np.rint(g)
    result = evaluate_ranking(q, qid, g, gid, qcam, gcam, max_rank=10)
    cmc, mean_ap, invalid = reference_ranking(q.astype(np.float64), qid, qcam,
                                              g.astype(np.float64), gid, gcam, 10)
    np.testing.assert_allclose(result["cmc"], cmc)
    assert result["mAP"] == pytest.approx(mean_ap)
    assert result["rank1"] == pytest.approx(cmc[0])
    assert result["num_invalid_queries"] == invalid > 0
    assert result["num_queries"] == 40 - invalid


def test_hand_worked_example_without_cameras():
    # Query 0 at x=0, gallery at 1 (id 0), 2 (id 1), 3 (id 0): ranks 1 and 3 hit,
    # AP = (1/1 + 2/3) / 2. Query 1 at x=10 (id 1): nearest 3 (id 0), 2 (id 1),
    # ranks 2 -> AP = 1/2, first hit at rank 2.
    g = np.array([[1.0], [2.0], [3.0]])
    gid = np.array([0, 1, 0])
    result = evaluate_ranking(np.array([[0.0], [10.0]]), np.array([0, 1]), g, gid, max_rank=3)
    np.testing.assert_allclose(result["cmc"], [0.5, 1.0, 1.0])
    assert result["mAP"] == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)


def test_same_camera_matches_are_ignored():
    # The only same-id gallery entry shares the query's camera: the query is not scored.
    result = evaluate_ranking(np.zeros((2, 2)), np.array([1, 2]), np.ones((2, 2)),
                              np.array([1, 2]), np.array([0, 0]), np.array([0, 1]))
    assert result["num_invalid_queries"] == 1 and result["num_queries"] == 1


def test_unknown_cameras_leave_every_match_in():
    # camera -1 is unknown: never the same camera, so the hand-worked example without
    # cameras gives the same answer with every camera unknown; a known camera still counts
    g, gid = np.array([[1.0], [2.0], [3.0]]), np.array([0, 1, 0])
    q, qid = np.array([[0.0], [10.0]]), np.array([0, 1])
    unknown = evaluate_ranking(q, qid, g, gid, np.full(2, -1), np.full(3, -1), max_rank=3)
    np.testing.assert_allclose(unknown["cmc"], [0.5, 1.0, 1.0])
    assert unknown["mAP"] == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)
    # query 0 on camera 4 loses gallery entry 0 (camera 4) and keeps entry 2 (unknown
    # camera), ranked after entry 1; without cameras it would rank 1 and 3
    mixed = match_ranks(q, qid, g, gid, np.array([4, -1]), np.array([4, -1, -1]))
    assert [r.tolist() for r in mixed] == [[2], [2]]
    assert [r.tolist() for r in match_ranks(q, qid, g, gid)] == [[1, 3], [2]]


def test_chunking_gives_the_same_answer():
    rng = np.random.default_rng(5)
    q, g = rng.normal(size=(70, 4)), rng.normal(size=(50, 4))
    qid, gid = rng.integers(0, 5, 70), rng.integers(0, 5, 50)
    whole = match_ranks(q, qid, g, gid)
    chunked = match_ranks(q, qid, g, gid, chunk_elements=16 * 50)
    single = match_ranks(q, qid, g, gid, chunk_elements=1)
    for a, b, c in zip(whole, chunked, single, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_ties_go_against_the_query():
    # Every gallery entry at the same distance: the one match ranks after both non-matches.
    ranks = match_ranks(np.zeros((1, 2)), [7], np.ones((3, 2)), [1, 7, 2])
    np.testing.assert_array_equal(ranks[0], [3])
    collapsed = evaluate_ranking(np.zeros((4, 2)), [0, 1, 2, 3], np.zeros((8, 2)),
                                 [0, 0, 1, 1, 2, 2, 3, 3])
    assert collapsed["rank1"] == 0.0
    assert collapsed["mAP"] == pytest.approx((1 / 7 + 2 / 8) / 2)  # ranks 7 and 8


@pytest.mark.parametrize("distinct", [1, 3])
def test_equal_embeddings_tie_by_the_rule_in_every_dtype(distinct):
    # 40 queries and 300 gallery entries collapsed onto 1 or 3 vectors, 1000 from the
    # origin, where ||a||^2 + ||b||^2 - 2 a.b rounds to 0 or not depending on the BLAS:
    # equal embeddings must be at exactly equal distances, so that a non-match ranks
    # before a match at the same distance (the tie rule) in every dtype.
    rng = np.random.default_rng(7)
    values = rng.normal(size=(distinct, 64)) + 1000.0
    qid, gid = rng.integers(0, 20, 40), rng.integers(0, 20, 300)
    q_rows, g_rows = rng.integers(0, distinct, 40), rng.integers(0, distinct, 300)
    results = {}
    for dtype in (np.float64, np.float32, np.float16):
        v = values.astype(dtype)
        results[dtype] = evaluate_ranking(v[q_rows], qid, v[g_rows], gid, max_rank=10)
        v = v.astype(np.float64)  # the reference loop on the same values, exact differences
        cmc, mean_ap, _ = reference_ranking(v[q_rows], qid, np.zeros(40), v[g_rows], gid,
                                            np.ones(300), 10)
        assert results[dtype]["mAP"] == pytest.approx(mean_ap, rel=1e-12, abs=0)
        np.testing.assert_array_equal(results[dtype]["cmc"], cmc)
    assert results[np.float64]["mAP"] == results[np.float32]["mAP"]
    assert results[np.float64]["rank1"] == results[np.float32]["rank1"]
    if distinct == 1:  # by hand: a query's n matches take the last n of the 300 ranks
        n = (qid[:, None] == gid[None, :]).sum(1)
        by_hand = np.mean([np.mean(np.arange(1, k + 1) / np.arange(301 - k, 301)) for k in n
                           if k])
        assert results[np.float64]["mAP"] == pytest.approx(by_hand, rel=1e-12, abs=0)
        assert results[np.float64]["rank1"] == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("metric", ["euclidean", "squared_euclidean", "sqeuclidean", "cosine"])
def test_repeated_gallery_rows_get_equal_distances(metric, dtype):
    # 300 columns: OpenBLAS computes the last few in another kernel, which rounded the
    # distances of equal vectors (1000 from the origin) to 1.2e-4 there and 0 elsewhere
    rng = np.random.default_rng(3)
    values = rng.normal(size=(5, 64)) + 1000.0
    rows = np.concatenate([np.zeros(100, dtype=int), rng.integers(0, 5, 200)])
    d = pairwise_distances(values[rng.integers(0, 5, 40)], values[rows], metric, dtype)
    for value in range(5):  # the columns of one gallery vector are one column repeated
        same = d[:, rows == value]
        assert (same == same[:, :1]).all()


def test_cosine_distance_against_scipy_formula():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    expected = 1 - (a @ b.T) / np.outer(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(pairwise_distances(a, b, "cosine"), expected, atol=1e-12)
    np.testing.assert_allclose(pairwise_distances(a, b), np.linalg.norm(
        a[:, None] - b[None], axis=-1), atol=1e-9)


def test_errors():
    with pytest.raises(DataError, match="empty"):
        evaluate_ranking(np.zeros((0, 2)), np.zeros(0), np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(DataError, match="no query has a true match"):
        evaluate_ranking(np.zeros((1, 2)), np.array([5]), np.zeros((3, 2)), np.array([1, 2, 3]))

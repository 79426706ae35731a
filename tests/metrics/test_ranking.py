import numpy as np
import pytest

from tfreid.errors import DataError
from tfreid.metrics import evaluate_ranking, pairwise_distances


def reference_ranking(q, qid, qcam, g, gid, gcam, max_rank):
    """Per-query loop, written straight from the Market-1501 protocol."""
    cmc_rows, aps, invalid = [], [], 0
    for i in range(len(q)):
        dist = np.sqrt(((g - q[i]) ** 2).sum(axis=1))
        order = np.argsort(dist, kind="stable")
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


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_loop_reference_with_cameras_and_distractors(seed):
    rng = np.random.default_rng(seed)
    gid = np.concatenate([rng.integers(1, 12, 150), np.zeros(30, dtype=int)])  # 0: distractors
    gcam = rng.integers(1, 4, len(gid))
    qid = rng.integers(1, 14, 40)  # ids 12, 13 have no gallery entry at all
    qcam = rng.integers(1, 4, len(qid))
    q = rng.normal(size=(40, 8)) + qid[:, None] * 0.3
    g = rng.normal(size=(len(gid), 8)) + gid[:, None] * 0.3
    result = evaluate_ranking(q, qid, g, gid, qcam, gcam, max_rank=10)
    cmc, mean_ap, invalid = reference_ranking(q, qid, qcam, g, gid, gcam, 10)
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


def test_chunking_gives_the_same_answer(monkeypatch):
    rng = np.random.default_rng(5)
    q, g = rng.normal(size=(70, 4)), rng.normal(size=(50, 4))
    qid, gid = rng.integers(0, 5, 70), rng.integers(0, 5, 50)
    whole = evaluate_ranking(q, qid, g, gid)
    monkeypatch.setattr("tfreid.metrics.ranking._QUERY_CHUNK", 16)
    chunked = evaluate_ranking(q, qid, g, gid)
    np.testing.assert_allclose(whole["cmc"], chunked["cmc"])
    assert whole["mAP"] == pytest.approx(chunked["mAP"])


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

"""evaluate_retrieval: every measure against an independent computation."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import (
    adjusted_mutual_info_score,
    average_precision_score,
    normalized_mutual_info_score,
)

from tfreid.metrics.classification import recall_at_k
from tfreid.metrics.scoring import evaluate_retrieval


def random_retrieval(seed: int):
    rng = np.random.default_rng(seed)
    gid = np.concatenate([rng.integers(1, 10, 120), np.zeros(20, dtype=int)])  # 0: distractors
    gcam, qid = rng.integers(1, 4, len(gid)), rng.integers(1, 12, 30)
    qcam = rng.integers(1, 4, len(qid))
    q = rng.normal(size=(30, 6)) + qid[:, None] * 0.4
    g = rng.normal(size=(len(gid), 6)) + gid[:, None] * 0.4
    return q, qid, qcam, g, gid, gcam


def per_query_lists(q, qid, qcam, g, gid, gcam):
    """Relevance of each query's kept gallery, sorted by distance (no ties in float data)."""
    lists = []
    for i in range(len(q)):
        keep = ~((gid == qid[i]) & (gcam == qcam[i]))
        dist = np.linalg.norm(g[keep] - q[i], axis=1)
        relevant = (gid[keep] == qid[i])[np.argsort(dist)]
        lists.append((relevant, -dist))
    return [(rel, score) for rel, score in lists if rel.any()], sum(
        not rel.any() for rel, _ in lists)


@pytest.mark.parametrize("seed", [0, 1])
def test_every_rank_measure_against_a_per_query_loop_and_scikit_learn(seed):
    data = random_retrieval(seed)
    report = evaluate_retrieval(*data[:1], data[1], data[3], data[4], data[2], data[5])
    lists, invalid = per_query_lists(*data)
    assert report["num_invalid_queries"] == invalid > 0
    sorted_relevance = [rel for rel, _ in lists]
    first = np.array([np.argmax(rel) + 1 for rel in sorted_relevance])
    for k in (1, 5, 10, 20):
        assert report[f"rank{k}"] == pytest.approx(np.mean(first <= k))
    assert report["precision_at_1"] == pytest.approx(np.mean(first == 1))
    assert report["mrr"] == pytest.approx(np.mean(1 / first))
    # mAP: scikit-learn's average precision of each query's kept gallery, scored by -distance.
    unsorted = []
    for i in range(len(data[0])):
        keep = ~((data[4] == data[1][i]) & (data[5] == data[2][i]))
        if (data[4][keep] == data[1][i]).any():
            unsorted.append(average_precision_score(
                data[4][keep] == data[1][i], -np.linalg.norm(data[3][keep] - data[0][i], axis=1)))
    assert report["mAP"] == pytest.approx(np.mean(unsorted))
    r_precision = [rel[:rel.sum()].mean() for rel in sorted_relevance]
    assert report["r_precision"] == pytest.approx(np.mean(r_precision))
    map_at_r = [np.sum(np.cumsum(rel[:rel.sum()]) / np.arange(1, rel.sum() + 1)
                       * rel[:rel.sum()]) / rel.sum() for rel in sorted_relevance]
    assert report["map_at_r"] == pytest.approx(np.mean(map_at_r))


def test_r_precision_and_map_at_r_hand_worked():
    # Musgrave et al.'s example shape: 3 relevant items at ranks 1, 3 and 5.
    # R-precision = 2/3 (ranks 1 and 3 within the first R = 3); MAP@R = (1/1 + 2/3) / 3.
    g = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    gid = np.array([7, 1, 7, 2, 7])
    report = evaluate_retrieval(np.array([[0.0]]), np.array([7]), g, gid,
                                ks=(1, 5), recall_ks=(1,))
    assert report["r_precision"] == pytest.approx(2 / 3)
    assert report["map_at_r"] == pytest.approx((1 + 2 / 3) / 3)
    assert report["mAP"] == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    assert report["mrr"] == 1.0 and report["rank1"] == 1.0


def test_recall_and_cluster_agreement_against_loops_and_scikit_learn():
    q, qid, qcam, g, gid, gcam = random_retrieval(3)
    report = evaluate_retrieval(q, qid, g, gid, qcam, gcam, seed=4)
    every, labels = np.concatenate([q, g]), np.concatenate([qid, gid])
    distances = np.linalg.norm(every[:, None] - every[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    nearest = np.argsort(distances, axis=1)
    for k in (1, 2, 4, 8):
        hits = (labels[nearest[:, :k]] == labels[:, None]).any(axis=1)
        assert report[f"recall_at_{k}"] == pytest.approx(hits.mean())
    clusters = KMeans(len(np.unique(labels)), n_init=10, random_state=4).fit_predict(every)
    assert report["nmi"] == pytest.approx(normalized_mutual_info_score(labels, clusters))
    assert report["ami"] == pytest.approx(adjusted_mutual_info_score(labels, clusters))
    assert report["ami"] < report["nmi"]  # AMI discounts chance agreement


def test_recall_counts_a_sample_alone_in_its_class_as_a_miss():
    x = np.array([[0.0], [0.1], [5.0]])
    assert recall_at_k(x, np.array([1, 1, 2]), ks=(1, 2)) == {1: pytest.approx(2 / 3),
                                                              2: pytest.approx(2 / 3)}

from collections import Counter

import numpy as np
import pytest

from tfreid.errors import DataError
from tfreid.metrics.classification import (
    clustering_nmi,
    confusion_matrix,
    evaluate_classes,
    knn_accuracy,
    linear_probe,
    recall_at_k,
    top_k_accuracy,
)


def test_top_k_accuracy_by_hand():
    probabilities = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]])
    classes = np.array([10, 20, 30])
    labels = np.array([30, 20, 10])  # ranks: 2nd, 3rd, 3rd
    assert top_k_accuracy(probabilities, labels, classes, 1) == 0.0
    assert top_k_accuracy(probabilities, labels, classes, 2) == pytest.approx(1 / 3)
    assert top_k_accuracy(probabilities, labels, classes, 3) == 1.0


def test_confusion_matrix_by_hand():
    matrix = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], [0, 1, 2])
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def knn_loop(train_x, train_y, test_x, k):
    predictions = []
    for x in test_x:
        order = np.argsort(np.linalg.norm(train_x - x, axis=1), kind="stable")[:k]
        votes = Counter(train_y[order].tolist())
        best = max(votes.values())
        predictions.append(min(c for c, v in votes.items() if v == best))
    return np.array(predictions)


@pytest.mark.parametrize("seed", [0, 1])
def test_knn_matches_loop(seed):
    rng = np.random.default_rng(seed)
    train_x, train_y = rng.normal(size=(80, 4)), rng.integers(0, 4, 80)
    test_x, test_y = rng.normal(size=(25, 4)), rng.integers(0, 4, 25)
    expected = np.mean(knn_loop(train_x, train_y, test_x, 7) == test_y)
    assert knn_accuracy(train_x, train_y, test_x, test_y, k=7) == pytest.approx(expected)
    with pytest.raises(DataError, match="k = 30"):
        knn_accuracy(train_x[:10], train_y[:10], test_x, test_y, k=30)


def test_recall_at_k_matches_loop():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(40, 3)), rng.integers(0, 5, 40)
    got = recall_at_k(x, y, ks=(1, 4))
    for k in (1, 4):
        hits = []
        for i in range(len(x)):
            d = np.linalg.norm(x - x[i], axis=1)
            d[i] = np.inf
            hits.append((y[np.argsort(d, kind="stable")[:k]] == y[i]).any())
        assert got[k] == pytest.approx(np.mean(hits))


def separated(n_per_class=40, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), n_per_class)
    centres = rng.normal(size=(classes, 6)) * 20
    return centres[labels] + rng.normal(size=(len(labels), 6)), labels


def test_separable_classes_score_perfectly():
    x, y = separated()
    assert clustering_nmi(x, y) == pytest.approx(1.0)
    probe = linear_probe(x[::2], y[::2], x[1::2], y[1::2])
    assert probe["accuracy"] == 1.0 and probe["top3_accuracy"] == 1.0
    np.testing.assert_array_equal(probe["confusion"], np.diag([20, 20, 20, 20]))
    scores = evaluate_classes(x, y, probe_fraction=0.25)
    assert scores["knn_accuracy"] == 1.0 and scores["recall_at_1"] == 1.0
    assert scores["confusion"].sum() == 40  # a quarter of 160 scored


def test_random_embeddings_score_near_chance():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(400, 8)), rng.integers(0, 10, 400)
    scores = evaluate_classes(x, y)
    assert scores["accuracy"] < 0.25 and scores["knn_accuracy"] < 0.25 and scores["nmi"] < 0.1

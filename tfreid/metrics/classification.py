"""Class-level evaluation of embeddings (paper 002, section 5.5; thesis 003, section 4).

* ``linear_probe``: logistic regression on frozen embeddings -> accuracy,
  top-k accuracy (the true class among the k most probable) and the confusion
  matrix (rows: true class, columns: predicted).
* ``knn_accuracy``: majority vote of the k = 30 nearest training embeddings.
* ``recall_at_k``: share of samples with a same-class sample among their k
  nearest others (leave-one-out), Recall@k of the metric-learning literature.
* ``clustering_nmi``: normalised mutual information between k-means clusters
  (k = number of classes) and the classes.
"""

from typing import Any

import numpy as np

from tfreid.errors import DataError
from tfreid.metrics.ranking import match_ranks, pairwise_distances


def top_k_accuracy(probabilities: np.ndarray, labels: np.ndarray, classes: np.ndarray,
                   k: int) -> float:
    """Share of rows whose true class is among the k highest ``probabilities`` columns."""
    top = np.asarray(classes)[np.argsort(-probabilities, axis=1)[:, :k]]
    return float(np.mean((top == np.asarray(labels)[:, None]).any(axis=1)))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray,
                     classes: np.ndarray) -> np.ndarray:
    """(C, C) counts: row = true class, column = predicted class, in ``classes`` order."""
    index = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
    matrix = np.zeros((len(index), len(index)), np.int64)
    for true, guess in zip(np.asarray(labels).tolist(), np.asarray(predicted).tolist(),
                           strict=True):
        matrix[index[true], index[guess]] += 1
    return matrix


def linear_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
                 test_y: np.ndarray, top_k: int = 3, seed: int = 0) -> dict[str, Any]:
    """Logistic-regression probe: accuracy, top-k accuracy, confusion matrix on the test part."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_x)
    probe = LogisticRegression(max_iter=1000, random_state=seed)
    probe.fit(scaler.transform(train_x), train_y)
    probabilities = probe.predict_proba(scaler.transform(test_x))
    predicted = probe.classes_[np.argmax(probabilities, axis=1)]
    return {"accuracy": float(np.mean(predicted == test_y)),
            f"top{top_k}_accuracy": top_k_accuracy(probabilities, test_y, probe.classes_, top_k),
            "confusion": confusion_matrix(test_y, predicted, probe.classes_),
            "classes": probe.classes_}


def knn_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
                 test_y: np.ndarray, k: int = 30, metric: str = "euclidean") -> float:
    """Accuracy of a majority vote among the k nearest training embeddings (ties: lowest class)."""
    if len(train_x) < k:
        raise DataError(f"kNN with k = {k} needs >= {k} training embeddings, got {len(train_x)}")
    nearest = np.argsort(pairwise_distances(test_x, train_x, metric), axis=1, kind="stable")[:, :k]
    classes, votes = np.unique(np.asarray(train_y)[nearest], return_inverse=True)
    counts = np.zeros((len(test_x), len(classes)), np.int64)
    np.add.at(counts, (np.repeat(np.arange(len(test_x)), k), votes.reshape(-1)), 1)
    return float(np.mean(classes[np.argmax(counts, axis=1)] == test_y))


def recall_at_k(embeddings: np.ndarray, labels: np.ndarray, ks: tuple[int, ...] = (1, 2, 4, 8),
                metric: str = "euclidean") -> dict[int, float]:
    """Recall@k for each k: a same-class sample among the k nearest others (leave-one-out).

    Every sample queries all the others (``match_ranks`` with a camera of its own,
    so only itself is left out; ties against the query); one alone in its class
    counts as a miss.
    """
    own = np.arange(len(embeddings))
    ranks = match_ranks(embeddings, labels, embeddings, labels, own, own, metric)
    first = np.array([r[0] if len(r) else np.iinfo(np.int64).max for r in ranks])
    return {k: float(np.mean(first <= k)) for k in ks}


def cluster_labels(embeddings: np.ndarray, labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """k-means cluster of every embedding, k = number of classes.

    Embeddings with fewer distinct points than classes (an untrained or collapsed
    encoder) give fewer clusters, without scikit-learn's warning.
    """
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(len(np.unique(labels)), n_init=10,
                      random_state=seed).fit_predict(embeddings)


def clustering_nmi(embeddings: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """NMI between k-means clusters (``cluster_labels``) and the labels."""
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(labels, cluster_labels(embeddings, labels, seed)))


def evaluate_classes(embeddings: np.ndarray, labels: np.ndarray, probe_fraction: float = 0.2,
                     knn_k: int = 30, seed: int = 0) -> dict[str, Any]:
    """Paper 002's protocol on test-set embeddings, plus Recall@k and NMI.

    The embeddings are split by class into (1 - probe_fraction) to fit the probe
    and the kNN and probe_fraction to score them (002: 8,000 / 2,000 of the
    10,000 test images); Recall@k and NMI use all of them.
    """
    from tfreid.data.splits import stratified_split

    held = stratified_split(labels, probe_fraction, seed)
    probe = linear_probe(embeddings[~held], labels[~held], embeddings[held], labels[held],
                         seed=seed)
    recalls = recall_at_k(embeddings, labels)
    return {**probe,
            "knn_accuracy": knn_accuracy(embeddings[~held], labels[~held], embeddings[held],
                                         labels[held], k=knn_k),
            **{f"recall_at_{k}": value for k, value in recalls.items()},
            "nmi": clustering_nmi(embeddings, labels, seed)}

"""Losses, miners and distances compose (pytorch-metric-learning's design): each combination
against a loop written from its definition."""

import numpy as np
import pytest

from tfreid.backend import keras
from tfreid.losses import (
    BatchHardMiner,
    ContrastiveLoss,
    CosineSimilarity,
    CrossBatchMemory,
    MultiSimilarityLoss,
    MultiSimilarityMiner,
    TripletMarginLoss,
)


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def batch(seed, n=12):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    return labels, rng.normal(size=(n, 5)).astype(np.float32)


def contrastive_rows(labels, x, keys, key_labels, self_index, margin, hardest=False):
    """Per query: mean d^2 over positive keys + mean max(0, m - d)^2 over negatives (or only
    the farthest positive and the closest negative)."""
    values = []
    for i in range(len(x)):
        d = [float(np.linalg.norm(x[i] - k)) for k in keys]
        pos = [j for j in range(len(keys)) if key_labels[j] == labels[i] and j != self_index[i]]
        neg = [j for j in range(len(keys)) if key_labels[j] != labels[i]]
        if hardest:
            pos = [max(pos, key=lambda j: d[j])] if pos else []
            neg = [min(neg, key=lambda j: d[j])] if neg else []
        pull = np.mean([d[j] ** 2 for j in pos]) if pos else 0.0
        push = np.mean([max(0.0, margin - d[j]) ** 2 for j in neg]) if neg else 0.0
        values.append(pull + push)
    return np.array(values)


@pytest.mark.parametrize("seed", [0, 1])
def test_contrastive_with_batch_hard_miner(seed):
    labels, x = batch(seed)
    got = ContrastiveLoss(1.2, miner=BatchHardMiner(), reduction="none")(labels, x).numpy()
    expected = contrastive_rows(labels, x.astype(np.float64), x.astype(np.float64), labels,
                                range(len(x)), 1.2, hardest=True)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_triplet_margin_on_cosine_similarity(seed):
    labels, x = batch(seed)
    values = []
    for a in range(len(x)):
        terms = [max(0.0, cosine(x[a], x[n]) - cosine(x[a], x[p]) + 0.3)
                 for p in range(len(x)) if p != a and labels[p] == labels[a]
                 for n in range(len(x)) if labels[n] != labels[a]]
        values.append(np.mean(terms) if terms else 0.0)
    got = TripletMarginLoss(0.3, distance=CosineSimilarity())(labels, x).numpy()
    assert got == pytest.approx(np.mean(values), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_soft_margin_triplet_with_the_batch_hard_miner(seed):
    labels, x = batch(seed)
    values = []
    for a in range(len(x)):  # Hermans et al. eq. 4: ln(1 + exp(d(a, p*) - d(a, n*)))
        d = np.linalg.norm(x.astype(np.float64) - x[a], axis=1)
        pos = [p for p in range(len(x)) if p != a and labels[p] == labels[a]]
        neg = [n for n in range(len(x)) if labels[n] != labels[a]]
        values.append(np.log1p(np.exp(max(d[pos]) - min(d[neg]))) if pos and neg else 0.0)
    loss = TripletMarginLoss(5.0, soft=True, miner=BatchHardMiner())  # the margin is unused
    assert loss(labels, x).numpy() == pytest.approx(np.mean(values), rel=1e-5, abs=1e-6)
    again = TripletMarginLoss.from_config(loss.get_config())
    assert again.soft and again(labels, x).numpy() == loss(labels, x).numpy()


@pytest.mark.parametrize("seed", [0, 1])
def test_triplet_margin_with_multi_similarity_miner(seed):
    labels, x = batch(seed)
    values = []
    for a in range(len(x)):
        s = {k: cosine(x[a], x[k]) for k in range(len(x))}
        pos = [p for p in range(len(x)) if p != a and labels[p] == labels[a]]
        neg = [n for n in range(len(x)) if labels[n] != labels[a]]
        kept_neg = [n for n in neg if pos and s[n] > min(s[p] for p in pos) - 0.1]
        kept_pos = [p for p in pos if neg and s[p] < max(s[n] for n in neg) + 0.1]
        terms = [max(0.0, s[n] - s[p] + 0.2) for p in kept_pos for n in kept_neg]
        values.append(np.mean(terms) if terms else 0.0)
    loss = TripletMarginLoss(0.2, distance="cosine", miner=MultiSimilarityMiner(0.1))
    assert loss(labels, x).numpy() == pytest.approx(np.mean(values), rel=1e-5, abs=1e-6)


def test_miners_and_distances_round_trip_inside_a_loss():
    loss = MultiSimilarityLoss(epsilon=0.2, distance="dot")
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(clone.miner, MultiSimilarityMiner) and clone.miner.epsilon == 0.2
    assert type(clone.distance).__name__ == "DotProductSimilarity"


def test_cross_batch_memory_uses_earlier_batches_as_keys():
    encoder = keras.Sequential([keras.Input((5,)), keras.layers.Dense(5)])
    loss = CrossBatchMemory(ContrastiveLoss(1.0), embedding_dim=5, memory_size=6,
                            reduction="none")
    loss.attach(encoder)
    labels1, x1 = batch(3, n=4)
    labels2, x2 = batch(4, n=4)
    first = loss(labels1, x1).numpy()  # empty memory: the plain batch loss
    np.testing.assert_allclose(first, ContrastiveLoss(1.0, reduction="none")(labels1, x1),
                               rtol=1e-5, atol=1e-6)
    second = loss(labels2, x2).numpy()  # keys: batch 2, then the 4 rows of batch 1
    keys = np.concatenate([x2, x1]).astype(np.float64)
    expected = contrastive_rows(labels2, x2.astype(np.float64), keys,
                                np.concatenate([labels2, labels1]), range(4), 1.0)
    np.testing.assert_allclose(second, expected, rtol=1e-5, atol=1e-5)
    bank = loss.bank
    assert int(bank.count.numpy()) == 6 and int(bank.position.numpy()) == 2
    # FIFO by index: slots 0-3 held batch 1, batch 2 wrote slots 4, 5, 0, 1
    np.testing.assert_allclose(bank.embeddings.numpy(), [x2[2], x2[3], x1[2], x1[3], x2[0],
                                                         x2[1]], rtol=1e-6)
    np.testing.assert_array_equal(bank.labels.numpy(), [labels2[2], labels2[3], labels1[2],
                                                        labels1[3], labels2[0], labels2[1]])

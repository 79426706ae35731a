"""The batch metric-learning losses against per-pair / per-triplet loops from the formulas."""

import itertools

import numpy as np
import pytest

from tests.tolerances import assert_float32_close
from tfreid.backend import keras, tf
from tfreid.errors import ConfigError
from tfreid.losses import (
    ContrastiveLoss,
    CosineContrastiveLoss,
    CosineEmbeddingLoss,
    LiftedStructureLoss,
    MultiSimilarityLoss,
    NPairLoss,
    ProxyNCALoss,
    TripletMarginLoss,
)


def cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def positives(labels, i):
    return [j for j in range(len(labels)) if j != i and labels[j] == labels[i]]


def negatives(labels, i):
    return [k for k in range(len(labels)) if labels[k] != labels[i]]


def ref_cosine_pairs(labels, x, margin, positive_term):
    values = []
    for i in range(len(x)):
        terms = [positive_term(cos(x[i], x[j])) if labels[i] == labels[j]
                 else max(0.0, cos(x[i], x[j]) - margin) for j in range(len(x)) if j != i]
        values.append(np.mean(terms))
    return np.mean(values)


def ref_triplet_margin(labels, x, margin):
    values = []
    for a in range(len(x)):
        terms = [max(0.0, np.linalg.norm(x[a] - x[p]) - np.linalg.norm(x[a] - x[n]) + margin)
                 for p in positives(labels, a) for n in negatives(labels, a)]
        values.append(np.mean(terms) if terms else 0.0)
    return np.mean(values)


def ref_contrastive(labels, x, margin):
    values = []
    for i in range(len(x)):
        d = {k: np.linalg.norm(x[i] - x[k]) for k in range(len(x))}
        pos, neg = positives(labels, i), negatives(labels, i)
        pull = np.mean([d[j] ** 2 for j in pos]) if pos else 0.0
        push = np.mean([max(0.0, margin - d[k]) ** 2 for k in neg]) if neg else 0.0
        values.append(pull + push)
    return np.mean(values)


def ref_npair(labels, x):
    values = []
    for i in range(len(x)):
        total = sum(np.exp(cos(x[i], x[k]) - cos(x[i], x[j]))
                    for j in positives(labels, i) for k in negatives(labels, i))
        values.append(np.log(1.0 + total))
    return np.mean(values)


def ref_lifted(labels, x, margin):
    values = []
    for i in range(len(x)):
        pos, neg = positives(labels, i), negatives(labels, i)
        if not pos or not neg:
            values.append(0.0)
            continue
        value = (np.log(sum(np.exp(margin - cos(x[i], x[k])) for k in pos))
                 + np.log(sum(np.exp(cos(x[i], x[k])) for k in neg)))
        values.append(max(0.0, value))
    return np.mean(values)


def ref_proxy_nca(labels, x, proxies, scale):
    values = []
    for i in range(len(x)):
        own = np.exp(scale * cos(x[i], proxies[labels[i]]))
        others = sum(np.exp(scale * cos(x[i], proxies[c]))
                     for c in range(len(proxies)) if c != labels[i])
        values.append(-np.log(own / others))
    return np.mean(values)


def ref_multi_similarity(labels, x, alpha, beta, base, epsilon):
    values = []
    for i in range(len(x)):
        pos, neg = positives(labels, i), negatives(labels, i)
        s = {k: cos(x[i], x[k]) for k in range(len(x))}
        kept_neg = [k for k in neg if pos and s[k] > min(s[j] for j in pos) - epsilon]
        kept_pos = [k for k in pos if neg and s[k] < max(s[j] for j in neg) + epsilon]
        pull = np.log(1 + sum(np.exp(-alpha * (s[k] - base)) for k in kept_pos)) / alpha
        push = np.log(1 + sum(np.exp(beta * (s[k] - base)) for k in kept_neg)) / beta
        values.append(pull + push)
    return np.mean(values)


def attached(loss):
    """``loss`` attached to a small encoder (ProxyNCA refuses to train unattached)."""
    from tfreid.backend import keras

    loss.attach(keras.Sequential([keras.Input((5,)), keras.layers.Dense(5)]))
    return loss


def batch(seed, n=12, dim=5):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    labels[-1] = 9  # an anchor with no positive in the batch
    return labels, rng.normal(size=(n, dim)).astype(np.float32)


CASES = {
    "contrastive": (lambda: ContrastiveLoss(margin=1.5),
                    lambda y, x, _: ref_contrastive(y, x, 1.5)),
    "cosine_embedding": (lambda: CosineEmbeddingLoss(margin=0.1),
                         lambda y, x, _: ref_cosine_pairs(y, x, 0.1, lambda s: 1.0 - s)),
    "cosine_contrastive": (lambda: CosineContrastiveLoss(margin=0.3),
                           lambda y, x, _: ref_cosine_pairs(y, x, 0.3, lambda s: -s)),
    "triplet_margin": (lambda: TripletMarginLoss(margin=1.0),
                       lambda y, x, _: ref_triplet_margin(y, x, 1.0)),
    "npair": (lambda: NPairLoss(), lambda y, x, _: ref_npair(y, x)),
    "lifted_structure": (lambda: LiftedStructureLoss(margin=1.0),
                         lambda y, x, _: ref_lifted(y, x, 1.0)),
    "proxy_nca": (lambda: attached(ProxyNCALoss(num_classes=10, embedding_dim=5, scale=3.0,
                                                seed=4)),
                  lambda y, x, loss: ref_proxy_nca(y, x, loss.proxies.numpy(), 3.0)),
    "multi_similarity": (lambda: MultiSimilarityLoss(),
                         lambda y, x, _: ref_multi_similarity(y, x, 2.0, 50.0, 0.5, 0.1)),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_matches_loop(name, seed):
    make, reference = CASES[name]
    labels, x = batch(seed)
    loss = make()
    expected = reference(labels, x.astype(np.float64), loss)
    assert loss(labels, x).numpy() == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_hand_worked_cosine_embedding():
    # Pairs (0,1) same, S = 1 -> 0; (0,2), (1,2) different, S = 0 -> max(0, 0 + 0.5) = 0.5.
    # Anchors: (0 + 0.5) / 2, (0 + 0.5) / 2, (0.5 + 0.5) / 2 -> mean 1/3.
    x = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]], np.float32)
    loss = CosineEmbeddingLoss(margin=-0.5)
    assert loss([0, 0, 1], x).numpy() == pytest.approx(1 / 3)


def test_sum_reduction_gives_the_thesis_sum():
    labels, x = batch(5)
    summed = LiftedStructureLoss(reduction="sum")(labels, x).numpy()
    assert summed == pytest.approx(len(x) * ref_lifted(labels, x.astype(np.float64), 1.0),
                                   rel=1e-5)
    per_anchor = LiftedStructureLoss(reduction="none")(labels, x).numpy()
    assert per_anchor.shape == (len(x),) and per_anchor[-1] == 0.0  # no positive: 0


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_gradient_finite_when_embeddings_coincide(name, value):
    x = tf.Variable(tf.fill((6, 5), value))
    labels = tf.constant([0, 0, 1, 1, 2, 2])
    loss = CASES[name][0]()
    with tf.GradientTape() as tape:
        result = loss(labels, x)
    gradient = tape.gradient(result, x)
    assert np.isfinite(result.numpy()) and np.isfinite(gradient.numpy()).all()


@pytest.mark.parametrize("name", CASES)
def test_get_config_round_trip(name):
    loss = CASES[name][0]()
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()
    by_name = keras.losses.get({"class_name": type(loss).__name__, "config": loss.get_config()})
    assert by_name.get_config() == loss.get_config()
    if isinstance(loss, ProxyNCALoss):  # a config holds no weights: the model does
        attached(clone).layer.proxies.assign(loss.proxies)
    labels, x = batch(7)
    assert clone(labels, x).numpy() == pytest.approx(loss(labels, x).numpy(), rel=1e-6)


@pytest.mark.numeric
@pytest.mark.parametrize("name", CASES)
def test_compiles_under_xla(name):
    loss = CASES[name][0]()
    labels, x = batch(8)
    compiled = tf.function(lambda y, e: loss(y, e), jit_compile=True)
    # XLA fuses and orders the sums of the distances, the per-anchor terms (its own exp and
    # log, a few ulps apart from Eigen's) and the mean otherwise: 3 roundings of all values
    assert_float32_close(compiled(tf.constant(labels), tf.constant(x)).numpy(),
                         loss(labels, x).numpy(), terms=x.size, steps=3)


@pytest.mark.parametrize("make", [lambda: NPairLoss(distance="l1"),
                                  lambda: NPairLoss(distance="l2"),
                                  lambda: ContrastiveLoss(distance="cosine"),
                                  lambda: ProxyNCALoss(num_classes=1, embedding_dim=4),
                                  lambda: TripletMarginLoss(miner="hardest")])
def test_bad_arguments_raise_one_line_errors(make):
    with pytest.raises(ConfigError):
        make()


def test_dot_similarity_npair_matches_loop():
    labels, x = batch(3)
    expected = np.mean([np.log(1 + sum(np.exp(x[i] @ x[k] - x[i] @ x[j])
                                       for j, k in itertools.product(positives(labels, i),
                                                                     negatives(labels, i))))
                        for i in range(len(x))])
    got = NPairLoss(distance="dot")(labels, x).numpy()
    assert got == pytest.approx(expected, rel=1e-5)

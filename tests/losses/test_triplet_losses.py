"""Triplet losses with miners against per-triplet loops written from their definitions."""

import itertools

import numpy as np
import pytest

from tests.tolerances import assert_float32_close
from tfreid.backend import keras, tf
from tfreid.losses import (
    BatchHardMiner,
    LpDistance,
    PerMemberLoss,
    SemiHardMiner,
    TripletLoss,
    TripletMarginLoss,
)


def distances(x, squared):
    d = ((x[:, None] - x[None]) ** 2).sum(-1)
    return d if squared else np.sqrt(d)


def reference(labels, x, mining, margin, squared):
    """Per-anchor losses from the definitions, averaged over all anchors (an anchor without a
    positive or a negative gives 0): the mean over its triplets (all), its farthest
    positive against its closest negative (hard), or the mean over its positives of the
    closest farther negative, else the farthest (semihard)."""
    d = distances(x.astype(np.float64), squared)
    n = len(labels)
    values = []
    for a in range(n):
        ps = [p for p in range(n) if p != a and labels[p] == labels[a]]
        ns = [q for q in range(n) if labels[q] != labels[a]]
        if not ps or not ns:
            values.append(0.0)
        elif mining == "all":
            values.append(np.mean([max(0.0, d[a, p] - d[a, q] + margin)
                                   for p, q in itertools.product(ps, ns)]))
        elif mining == "hard":
            values.append(max(0.0, max(d[a, p] for p in ps) - min(d[a, q] for q in ns) + margin))
        else:
            terms = []
            for p in ps:
                farther = [d[a, q] for q in ns if d[a, q] > d[a, p]]
                chosen = min(farther) if farther else max(d[a, q] for q in ns)
                terms.append(max(0.0, d[a, p] - chosen + margin))
            values.append(np.mean(terms))
    return np.mean(values)


MINERS = {"all": None, "hard": BatchHardMiner(), "semihard": SemiHardMiner()}


def mined_loss(mining, margin=1.0, squared=False, **kwargs):
    return TripletMarginLoss(margin, miner=MINERS[mining],
                             distance=LpDistance(power=2 if squared else 1), **kwargs)


@pytest.mark.parametrize("mining", ["all", "hard", "semihard"])
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mined_triplet_losses_match_loops(mining, squared, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 12)
    labels[-1] = 9  # an anchor with no positive
    x = rng.normal(size=(12, 5)).astype(np.float32) * 0.6
    got = mined_loss(mining, squared=squared)(labels, x).numpy()
    assert got == pytest.approx(reference(labels, x, mining, 1.0, squared), rel=1e-5, abs=1e-5)
    per_anchor = mined_loss(mining, squared=squared, reduction="none")(labels, x)
    assert per_anchor.shape == (12,) and per_anchor[-1] == 0.0


@pytest.mark.parametrize("squared", [False, True])
def test_explicit_triplets_match_loop(squared):
    rng = np.random.default_rng(3)
    triplets = rng.normal(size=(9, 3, 4)).astype(np.float32)
    expected = [max(0.0, distances(t, squared)[0, 1] - distances(t, squared)[0, 2] + 0.5)
                for t in triplets.astype(np.float64)]
    got = TripletLoss(margin=0.5, squared=squared, reduction="none")(None, triplets).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_hand_worked_triplet():
    # a = 0, p = 3, n = 4 (on a line): d_ap = 3, d_an = 4 -> max(0, 3 - 4 + 1) = 0;
    # n = 2 instead: 3 - 2 + 1 = 2.
    triplets = np.array([[[0.0], [3.0], [4.0]], [[0.0], [3.0], [2.0]]], np.float32)
    np.testing.assert_allclose(TripletLoss(reduction="none")(None, triplets), [0.0, 2.0])


def test_hand_worked_batch_hard():
    # Points on a line, labels [0, 0, 1]: anchor 0 at 0: farthest positive 1 (d 1), closest
    # negative 2 (d 3): max(0, 1 - 3 + 1) = 0; anchor 1 at 1: 1 - 2 + 1 = 0; anchor 2: no
    # positive, 0. With margin 2.5: 0.5, 1.5, 0 -> mean 2/3.
    x = np.array([[0.0], [1.0], [3.0]], np.float32)
    loss = TripletMarginLoss(2.5, miner="hard", reduction="none")
    np.testing.assert_allclose(loss([0, 0, 1], x), [0.5, 1.5, 0.0], atol=1e-6)


def test_sample_weight_weighs_anchors():
    rng = np.random.default_rng(4)
    labels, x = np.array([0, 0, 1, 1, 2, 2]), rng.normal(size=(6, 3)).astype(np.float32)
    per_anchor = TripletMarginLoss(reduction="none")(labels, x).numpy()
    weights = np.array([1.0, 0.0, 2.0, 0.0, 1.0, 0.0], np.float32)
    weighted = TripletMarginLoss(reduction="sum")(labels, x, sample_weight=weights).numpy()
    assert weighted == pytest.approx((per_anchor * weights).sum(), rel=1e-5)


@pytest.mark.parametrize("loss", [TripletLoss(), mined_loss("all"), mined_loss("hard"),
                                  mined_loss("semihard")])
def test_gradient_finite_when_all_embeddings_coincide(loss):
    x = tf.Variable(tf.ones((6, 3)))
    labels = tf.constant([0, 0, 1, 1, 2, 2])
    with tf.GradientTape() as tape:
        value = loss(labels, tf.reshape(x, (2, 3, 3)) if isinstance(loss, TripletLoss) else x)
    assert np.isfinite(tape.gradient(value, x).numpy()).all()
    assert value.numpy() == pytest.approx(1.0, abs=1e-5)  # d_ap = d_an = 0 -> margin


@pytest.mark.parametrize("loss", [TripletLoss(margin=0.3, squared=True),
                                  TripletMarginLoss(0.2, miner="hard", distance="cosine")])
def test_get_config_round_trip(loss):
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


@pytest.mark.numeric  # XLA against eager
@pytest.mark.parametrize("mining", ["all", "hard", "semihard"])
def test_mining_compiles_under_xla(mining):
    loss = mined_loss(mining)

    @tf.function(jit_compile=True)
    def value_and_gradient(x, labels):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = loss(labels, x)
        return value, tape.gradient(value, x)

    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    labels = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    value, gradient = value_and_gradient(tf.constant(x), tf.constant(labels))
    assert_float32_close(value.numpy(), loss(labels, x).numpy(), terms=x.size, steps=3)
    assert np.isfinite(gradient.numpy()).all()


def test_distance_matrix_against_numpy():
    x = np.random.default_rng(1).normal(size=(7, 3)).astype(np.float32)
    np.testing.assert_allclose(LpDistance().matrix(x, x), distances(x, False), atol=1e-5)
    np.testing.assert_allclose(LpDistance(power=2).matrix(x, x), distances(x, True), atol=1e-4)


def test_per_member_loss_is_the_sum_of_member_losses():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 10)
    x = rng.normal(size=(10, 7)).astype(np.float32)
    base = mined_loss("hard")
    combined = PerMemberLoss(base, [3, 4])(labels, x).numpy()
    separate = base(labels, x[:, :3]).numpy() + base(labels, x[:, 3:]).numpy()
    assert combined == pytest.approx(separate, rel=1e-6)
    clone = keras.losses.deserialize(keras.losses.serialize(PerMemberLoss(base, [3, 4])))
    assert clone.member_dims == [3, 4] and isinstance(clone.loss.miner, BatchHardMiner)

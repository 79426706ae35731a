import itertools

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.losses import PerMemberLoss, TripletLoss, TripletMiningLoss
from tfreid.losses.distances import pairwise_distance_matrix


def distances(x, squared):
    d = ((x[:, None] - x[None]) ** 2).sum(-1)
    return d if squared else np.sqrt(d)


def reference(labels, x, mining, margin, squared):
    """Per-triplet loops written from the definitions."""
    d = distances(x.astype(np.float64), squared)
    n = len(labels)
    pos = [(a, p) for a, p in itertools.permutations(range(n), 2) if labels[a] == labels[p]]
    neg = {a: [j for j in range(n) if labels[j] != labels[a]] for a in range(n)}
    if mining == "all":
        losses = [max(0.0, d[a, p] - d[a, q] + margin) for a, p in pos for q in neg[a]]
        active = [v for v in losses if v > 1e-16]
        return np.mean(active) if active else 0.0
    if mining == "hard":
        values = []
        for a in range(n):
            ps = [p for b, p in pos if b == a]
            if ps and neg[a]:
                values.append(max(0.0, max(d[a, p] for p in ps) - min(d[a, q] for q in neg[a])
                                  + margin))
        return np.mean(values)
    values = []
    for a, p in pos:
        if not neg[a]:
            continue
        farther = [d[a, q] for q in neg[a] if d[a, q] > d[a, p]]
        chosen = min(farther) if farther else max(d[a, q] for q in neg[a])
        values.append(max(0.0, d[a, p] - chosen + margin))
    return np.mean(values)


@pytest.mark.parametrize("mining", ["all", "hard", "semihard"])
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mining_losses_match_loops(mining, squared, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 12)
    x = rng.normal(size=(12, 5)).astype(np.float32) * 0.6
    got = TripletMiningLoss(mining, margin=1.0, squared=squared)(labels, x).numpy()
    assert got == pytest.approx(reference(labels, x, mining, 1.0, squared), rel=1e-5, abs=1e-5)


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


@pytest.mark.parametrize("loss", [TripletLoss(), TripletMiningLoss("all"),
                                  TripletMiningLoss("hard"), TripletMiningLoss("semihard")])
def test_gradient_finite_when_all_embeddings_coincide(loss):
    x = tf.Variable(tf.ones((6, 3)))
    labels = tf.constant([0, 0, 1, 1, 2, 2])
    with tf.GradientTape() as tape:
        value = loss(labels, tf.reshape(x, (2, 3, 3)) if isinstance(loss, TripletLoss) else x)
    assert np.isfinite(tape.gradient(value, x).numpy()).all()
    assert value.numpy() == pytest.approx(1.0, abs=1e-5)  # d_ap = d_an = 0 -> margin


@pytest.mark.parametrize("loss", [TripletLoss(margin=0.3, squared=True),
                                  TripletMiningLoss("hard", margin=0.2)])
def test_get_config_round_trip(loss):
    clone = type(loss).from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()


@pytest.mark.parametrize("mining", ["all", "hard", "semihard"])
def test_mining_compiles_under_xla(mining):
    loss = TripletMiningLoss(mining)

    @tf.function(jit_compile=True)
    def value_and_gradient(x, labels):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = loss(labels, x)
        return value, tape.gradient(value, x)

    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    labels = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    value, gradient = value_and_gradient(tf.constant(x), tf.constant(labels))
    assert value.numpy() == pytest.approx(loss(labels, x).numpy(), rel=1e-5)
    assert np.isfinite(gradient.numpy()).all()


def test_distance_matrix_against_numpy():
    x = np.random.default_rng(1).normal(size=(7, 3)).astype(np.float32)
    np.testing.assert_allclose(pairwise_distance_matrix(x), distances(x, False), atol=1e-5)
    np.testing.assert_allclose(pairwise_distance_matrix(x, True), distances(x, True), atol=1e-4)


def test_per_member_loss_is_the_sum_of_member_losses():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 10)
    x = rng.normal(size=(10, 7)).astype(np.float32)
    base = TripletMiningLoss("hard")
    combined = PerMemberLoss(base, [3, 4])(labels, x).numpy()
    separate = base(labels, x[:, :3]).numpy() + base(labels, x[:, 3:]).numpy()
    assert combined == pytest.approx(separate, rel=1e-6)
    clone = PerMemberLoss.from_config(PerMemberLoss(base, [3, 4]).get_config())
    assert clone.member_dims == [3, 4] and clone.loss.mining == "hard"
    assert keras.losses.serialize(clone)["config"]["member_dims"] == [3, 4]

"""The self-supervised losses against loops written from their equations (thesis 003, ch. 3;
the authors' code as the design brief sets it out)."""

import numpy as np
import pytest

from tfreid.backend import tf
from tfreid.losses import SpreadingLoss, ThresholdedContrastiveLoss
from tfreid.losses.self_taught import (
    contextual_similarity,
    relaxed_contrastive_loss,
    self_distillation_kl,
    self_taught_loss,
)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def spreading_reference(ids, x, tau):
    z = unit(x.astype(np.float64))
    values = []
    for i in range(len(z)):
        e = {k: np.exp(z[i] @ z[k] / tau) for k in range(len(z)) if k != i}
        total = sum(e.values())
        positives = [k for k in e if ids[k] == ids[i]]
        if not positives:
            values.append(0.0)
            continue
        value = np.log(sum(e[p] for p in positives) / total)
        value += sum(np.log(1 - e[k] / total) for k in e if ids[k] != ids[i])
        values.append(-value)
    return np.array(values)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spreading_matches_the_loop(seed):
    rng = np.random.default_rng(seed)
    ids = np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 9])  # two views of 0-3, and rows without one
    x = rng.normal(size=(10, 6)).astype(np.float32)
    got = SpreadingLoss(0.1, reduction="none")(ids, x).numpy()
    np.testing.assert_allclose(got, spreading_reference(ids, x, 0.1), rtol=1e-4, atol=1e-5)
    assert got[4] == 0.0 and got[9] == 0.0  # no partner view: no loss


def test_spreading_gradient_stops_at_the_keys():
    rng = np.random.default_rng(3)
    ids = np.array([0, 1, 2, 0, 1, 2])
    x = tf.Variable(rng.normal(size=(6, 4)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        stopped = SpreadingLoss(0.5)(ids, x)
        flowing = SpreadingLoss(0.5, stop_gradient=False)(ids, x)
    assert stopped.numpy() == pytest.approx(flowing.numpy(), rel=1e-6)
    g_stop, g_flow = tape.gradient(stopped, x).numpy(), tape.gradient(flowing, x).numpy()
    assert np.isfinite(g_stop).all() and not np.allclose(g_stop, g_flow)
    eps, row, col = 1e-3, 0, 1  # a row's gradient through its queries only: finite differences

    def queries_only(value):
        moved = x.numpy().copy()
        moved[row, col] += value
        keys = tf.constant(x.numpy())
        from tfreid.losses.metric_loss import Batch
        batch = Batch(tf.constant(ids), tf.constant(moved), tf.constant(ids), keys,
                      tf.range(6, dtype=tf.int32))
        return float(tf.reduce_mean(SpreadingLoss(0.5).anchor_losses(batch)))

    numeric = (queries_only(eps) - queries_only(-eps)) / (2 * eps)
    assert g_stop[row, col] == pytest.approx(numeric, rel=2e-2, abs=1e-4)


def test_thresholded_contrastive_matches_the_loop():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 9)
    labels[-1] = 7
    x = rng.normal(size=(9, 5)).astype(np.float32)
    z = unit(x.astype(np.float64))
    expected = []
    for i in range(9):
        s = z @ z[i]
        expected.append(sum(1 - s[j] for j in range(9) if j != i and labels[j] == labels[i])
                        + sum(s[k] for k in range(9) if labels[k] != labels[i] and s[k] > 0.4))
    got = ThresholdedContrastiveLoss(0.4, reduction="none")(labels, x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def contextual_reference(t, same, k, sigma):
    t = unit(t.astype(np.float64))
    n = len(t)
    wp = np.exp(-((t[:, None] - t[None]) ** 2).sum(-1) / sigma)
    ranking = np.where(same, 1.0, wp)
    order = [list(np.argsort(-ranking[i], kind="stable")) for i in range(n)]
    near = [set(order[i][:k]) for i in range(n)]
    half = [set(order[i][:max(1, round(k / 2))]) for i in range(n)]
    reciprocal = [{j for j in near[i] if i in near[j]} for i in range(n)]
    tilde = np.zeros((n, n))
    for i in range(n):
        for j in reciprocal[i]:
            tilde[i, j] = len(reciprocal[i] & reciprocal[j]) / len(reciprocal[i])
    hat = np.array([[np.mean([tilde[h, j] for h in half[i]]) for j in range(n)]
                    for i in range(n)])
    return (wp + (hat + hat.T) / 2) / 2


@pytest.mark.parametrize("seed", [0, 1])
def test_contextual_similarity_matches_k_reciprocal_loops(seed):
    rng = np.random.default_rng(seed)
    images = np.repeat(np.arange(6), 2)  # two views of 6 images
    t = rng.normal(size=(12, 5)).astype(np.float32)
    t[1::2] = t[::2] + 0.3 * rng.normal(size=(6, 5))
    same = images[:, None] == images[None, :]
    got = contextual_similarity(t, same, k=4, sigma=3.0).numpy()
    np.testing.assert_allclose(got, contextual_reference(t, same, 4, 3.0), atol=1e-5)
    assert np.allclose(got, got.T, atol=1e-6) and got.min() >= 0.0 and got.max() <= 1.0 + 1e-6


def relative(y):
    d = np.sqrt(((y[:, None] - y[None]) ** 2).sum(-1))
    return d / d.mean(1, keepdims=True)


def test_relaxed_contrastive_and_distillation_match_loops():
    rng = np.random.default_rng(5)
    n = 8
    w = rng.uniform(size=(n, n))
    w = (w + w.T) / 2
    f, g = rng.normal(size=(n, 4)), rng.normal(size=(n, 7))
    d = relative(f)
    rc = sum(w[i, j] * d[i, j] ** 2 + (1 - w[i, j]) * max(0, 1.0 - d[i, j]) ** 2
             for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    got = relaxed_contrastive_loss(tf.constant(w, tf.float32), f.astype(np.float32), 1.0)
    assert float(got) == pytest.approx(rc, rel=1e-5)
    p = np.exp(-relative(g)) / np.exp(-relative(g)).sum(1, keepdims=True)
    q = np.exp(-relative(f)) / np.exp(-relative(f)).sum(1, keepdims=True)
    kl = np.mean([(p[i] * np.log(p[i] / q[i])).sum() for i in range(n)])
    assert float(self_distillation_kl(f.astype(np.float32), g.astype(np.float32))) == \
        pytest.approx(kl, rel=1e-5)


def test_self_taught_gradient_is_finite_and_distillation_stops_at_g():
    rng = np.random.default_rng(6)
    w = tf.constant(rng.uniform(size=(6, 6)), tf.float32)
    f = tf.Variable(rng.normal(size=(6, 4)).astype(np.float32))
    g = tf.Variable(rng.normal(size=(6, 5)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        total = self_taught_loss(w, f, g, 1.0)
        kl = self_distillation_kl(f, g)
    assert np.isfinite(tape.gradient(total, f).numpy()).all()
    assert tape.gradient(kl, g) is None  # the reference distribution takes no gradient

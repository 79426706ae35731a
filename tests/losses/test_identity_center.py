"""The identity loss (label-smoothed softmax over a bias-free classifier) and the center loss
(its centers moved by their own SGD step): values by hand and against a per-sample loop."""

import math

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.errors import ConfigError
from tfreid.losses.center import CenterLoss, CenterTrainer
from tfreid.losses.identity import IdentityLoss
from tfreid.models.neck import bnneck


def small_encoder(neck: bool = True, dim: int = 4) -> keras.Model:
    inputs = keras.Input((3,), name="x")
    features = keras.layers.Dense(dim, name="embedding")(inputs)
    return keras.Model(inputs, bnneck()(features) if neck else features, name="small")


def smoothed_loop(x, weights, labels, eps):
    """Per sample -sum_j q_j log softmax(x W^T)_j, q_y = 1 - eps + eps / C, q_j = eps / C."""
    values = []
    for row, label in zip(x, labels, strict=True):
        z = weights @ row
        log_p = z - np.log(np.sum(np.exp(z - z.max()))) - z.max()
        q = np.full(len(weights), eps / len(weights))
        q[label] += 1.0 - eps
        values.append(-np.sum(q * log_p))
    return np.array(values)


def identity_loss(classes=2, dim=2, **kwargs):
    loss = IdentityLoss(classes, dim, **kwargs)
    loss.attach(small_encoder(dim=dim))
    return loss


def test_identity_loss_hand_worked_two_classes():
    # W = I, x = (0, ln 3): p = (1/4, 3/4); y = 0, eps = 0.1: q = (0.95, 0.05)
    # L = -0.95 ln(1/4) - 0.05 ln(3/4) = ln 4 - 0.05 ln 3
    loss = identity_loss(label_smoothing=0.1)
    loss.classifier.assign(np.eye(2, dtype=np.float32))
    x = np.array([[0.0, math.log(3.0)]], np.float32)
    assert float(loss(np.array([0]), x)) == pytest.approx(math.log(4) - 0.05 * math.log(3),
                                                          rel=1e-6)
    plain = identity_loss(label_smoothing=0.0)
    plain.classifier.assign(np.eye(2, dtype=np.float32))
    assert float(plain(np.array([0]), x)) == pytest.approx(math.log(4), rel=1e-6)


def test_identity_loss_matches_a_loop():
    rng = np.random.default_rng(0)
    loss = identity_loss(5, 3, label_smoothing=0.2, reduction="none")
    loss.classifier.assign(rng.normal(size=(5, 3)).astype(np.float32))
    x, labels = rng.normal(size=(7, 3)).astype(np.float32), rng.integers(0, 5, 7)
    np.testing.assert_allclose(loss(labels, x).numpy(),
                               smoothed_loop(x, loss.classifier.numpy(), labels, 0.2),
                               rtol=1e-5)


def test_identity_loss_is_float32_and_finite_on_float16_inputs():
    loss = identity_loss(3, 4, reduction="none")
    loss.classifier.assign(np.full((3, 4), 50.0, np.float32))  # logits past float16's range
    x = tf.constant(np.full((2, 4), 600.0), tf.float16)
    values = loss(np.array([0, 2]), x)
    assert values.dtype == tf.float32 and np.isfinite(values.numpy()).all()


def test_identity_loss_needs_attach_labels_in_range_and_no_miner():
    x = np.ones((2, 2), np.float32)
    with pytest.raises(ConfigError, match="attach"):
        IdentityLoss(2, 2)(np.array([0, 1]), x)
    with pytest.raises(ConfigError, match=r"labels must lie in \[0, 2\)"):
        identity_loss()(np.array([0, 2]), x)
    with pytest.raises(ConfigError, match="no miner"):
        IdentityLoss(2, 2, miner="hard")


def center_loss(**kwargs):
    loss = CenterLoss(3, 2, **kwargs)
    loss.centers.assign(np.array([[0, 0], [1, 1], [5, 5]], np.float32))
    return loss


def test_center_loss_value_by_hand():
    loss = center_loss()
    trainer = loss.attach(small_encoder(dim=2))
    assert isinstance(trainer, CenterTrainer) and any(
        w is loss.centers for w in trainer.non_trainable_weights)
    x = np.array([[1, 0], [1, 3], [0, 0]], np.float32)
    labels = np.array([0, 1, 0])
    # ||(1,0)-(0,0)||^2 = 1, ||(1,3)-(1,1)||^2 = 4, ||(0,0)-(0,0)||^2 = 0: mean 5/3
    assert float(loss(labels, x)) == pytest.approx(5 / 3)
    np.testing.assert_array_equal(loss.centers.numpy()[0], [0, 0])  # no step outside training


def test_a_training_step_moves_the_centers_by_their_own_rate():
    loss = center_loss(center_lr=0.5)
    x = np.array([[1, 0], [1, 3], [0, 0]], np.float32)
    model = loss.attach(keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        2, kernel_initializer="identity", use_bias=False, trainable=False)], name="fixed"))
    model.compile(keras.optimizers.SGD(1e-3), loss=loss)
    model.evaluate(x, np.array([0, 1, 0]), batch_size=3, verbose=0)
    np.testing.assert_array_equal(loss.centers.numpy()[1], [1, 1])  # evaluation: no step
    model.fit(x, np.array([0, 1, 0]), batch_size=3, epochs=1, verbose=0, shuffle=False)
    # c_j -= 0.5 * 2/3 * sum_{i: y_i = j} (c_j - x_i): c_0 -= 1/3 ((0,0)-(1,0) + 0) = (1/3, 0)
    # c_1 -= 1/3 ((1,1)-(1,3)) = (1, 5/3); c_2 (no sample) stays
    np.testing.assert_allclose(loss.centers.numpy(), [[1 / 3, 0], [1, 5 / 3], [5, 5]],
                               rtol=1e-6)

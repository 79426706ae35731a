import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.losses import BinaryVerificationPairLoss, ContrastivePairLoss
from tfreid.models.siamese import PairDistance


def test_contrastive_loss_hand_worked_values():
    # y*d^2 + (1-y)*max(1-d, 0)^2 with margin 1:
    # (y=1, d=0) -> 0; (1, 0.5) -> 0.25; (0, 0.5) -> 0.25; (0, 1.5) -> 0; (0, 0.2) -> 0.64
    y = np.array([1, 1, 0, 0, 0], dtype=np.float32)
    d = np.array([0.0, 0.5, 0.5, 1.5, 0.2], dtype=np.float32)
    per_pair = ContrastivePairLoss(reduction="none")(y, d).numpy()
    np.testing.assert_allclose(per_pair, [0.0, 0.25, 0.25, 0.0, 0.64], atol=1e-6)
    assert ContrastivePairLoss()(y, d).numpy() == pytest.approx(1.14 / 5, abs=1e-6)


def test_contrastive_margin_changes_only_the_push_term():
    y = np.array([1, 0], dtype=np.float32)
    d = np.array([0.5, 1.5], dtype=np.float32)
    per_pair = ContrastivePairLoss(margin=2.0, reduction="none")(y, d).numpy()
    np.testing.assert_allclose(per_pair, [0.25, 0.25], atol=1e-6)


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_contrastive_gradient_finite_at_zero_distance(label):
    embedding = tf.Variable(tf.ones((2, 5)))
    with tf.GradientTape() as tape:
        distance = PairDistance()(embedding, tf.ones((2, 5)))
        loss = ContrastivePairLoss()(tf.constant([label, label]), distance)
    gradient = tape.gradient(loss, embedding).numpy()
    assert np.isfinite(gradient).all()
    assert loss.numpy() == pytest.approx(1.0 - label, abs=1e-5)


def test_binary_verification_hand_worked_values():
    # -log(sigmoid(0)) = log 2; -log(1 - sigmoid(2)) = log(1 + e^2);
    # -log(1 - sigmoid(-1)) = log(1 + e^-1)
    y = np.array([1, 0, 0], dtype=np.float32)
    logits = np.array([0.0, 2.0, -1.0], dtype=np.float32)
    per_pair = BinaryVerificationPairLoss(reduction="none")(y, logits).numpy()
    np.testing.assert_allclose(per_pair, [np.log(2), np.log1p(np.e**2), np.log1p(np.e**-1)],
                               rtol=1e-6)


def test_binary_verification_applies_sigmoid_once():
    # A confident correct logit must give a loss near 0, not near log 2 as with a double sigmoid.
    value = BinaryVerificationPairLoss()(np.array([1.0]), np.array([20.0])).numpy()
    assert value < 1e-6


@pytest.mark.parametrize("loss", [ContrastivePairLoss(margin=0.7), BinaryVerificationPairLoss()])
def test_get_config_round_trip(loss):
    clone = type(loss).from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()
    y = np.array([1, 0, 1], dtype=np.float32)
    pred = np.array([0.3, 0.4, 1.2], dtype=np.float32)
    assert clone(y, pred).numpy() == pytest.approx(loss(y, pred).numpy())


def test_losses_serialize_through_keras():
    config = keras.losses.serialize(ContrastivePairLoss(margin=0.3))
    clone = keras.losses.deserialize(config)
    assert isinstance(clone, ContrastivePairLoss) and clone.margin == pytest.approx(0.3)


def reference_pair_loss(loss, y: float, p: float) -> float:
    if isinstance(loss, ContrastivePairLoss):
        return y * p**2 + (1 - y) * max(loss.margin - p, 0.0) ** 2
    return -(y * np.log(1 / (1 + np.exp(-p))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-p))))


@pytest.mark.parametrize("make", [lambda **kw: ContrastivePairLoss(margin=0.8, **kw),
                                  lambda **kw: BinaryVerificationPairLoss(**kw)])
@pytest.mark.parametrize("pred_shape", [(4,), (4, 1)])
def test_pair_losses_are_per_sample_like_keras_losses(make, pred_shape):
    # reduction="none" gives one value per pair, (B,), for y_pred (B, 1) or (B,), like
    # keras.losses.MeanSquaredError; the default reduction is the mean of those values.
    y = np.array([1, 0, 1, 0], dtype=np.float32)
    pred = np.array([0.3, 0.5, 1.2, -0.4], dtype=np.float32)
    expected = [reference_pair_loss(make(), yi, pi) for yi, pi in zip(y, pred, strict=True)]
    per_pair = make(reduction="none")(y.reshape(pred_shape), pred.reshape(pred_shape)).numpy()
    assert per_pair.shape == (4,)
    assert per_pair.shape == keras.losses.MeanSquaredError(reduction="none")(
        y.reshape(-1, 1), pred.reshape(-1, 1)).shape
    np.testing.assert_allclose(per_pair, expected, rtol=1e-5, atol=1e-7)
    reduced = make()(y, pred.reshape(pred_shape)).numpy()
    assert reduced.shape == () and reduced == pytest.approx(np.mean(expected), rel=1e-5)
    weights = np.array([1.0, 0.0, 2.0, 1.0], dtype=np.float32)
    weighted = make()(y, pred.reshape(pred_shape), sample_weight=weights).numpy()
    assert weighted == pytest.approx(np.dot(weights, expected) / 4, rel=1e-5)

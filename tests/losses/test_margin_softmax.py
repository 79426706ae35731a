"""ArcFace, CosFace and circle-softmax against hand-worked values and per-sample loops of their
formulas; safe at cos = +-1 and past theta + m = pi; they train, save and load their class
weights."""

import math

import numpy as np
import pytest

from tests.tolerances import float32_tolerance
from tfreid.backend import keras, tf
from tfreid.errors import ConfigError, MissingArgumentsError
from tfreid.losses.margin_softmax import ArcFaceLoss, CircleSoftmaxLoss, CosFaceLoss
from tfreid.losses.proxy_anchor import ProxyAnchorLoss
from tfreid.models import EmbeddingTrainer

LOSSES = [ArcFaceLoss, CosFaceLoss, CircleSoftmaxLoss]
IDS = ["arcface", "cosface", "circle_softmax"]
R3 = math.sqrt(3.0)
# weights at 0, 90 and 180 degrees; embeddings at 30 degrees (label 0), 150 (label 1), 0 (2)
HAND_WEIGHTS = np.array([[1, 0], [0, 1], [-1, 0]], np.float32)
HAND_X = np.array([[R3 / 2, 0.5], [-R3 / 2, 0.5], [1, 0]], np.float32)
HAND_LABELS = np.array([0, 1, 2])


def lse(*values):
    return np.log(np.sum(np.exp(np.array(values, np.float64))))


def attached(cls, num_classes, dim, weights=None, **kwargs):
    loss = cls(num_classes=num_classes, embedding_dim=dim, **kwargs)
    loss.attach(keras.Sequential([keras.Input((dim,)), keras.layers.Dense(dim)]))
    if weights is not None:
        loss.proxies.assign(weights)
    return loss


# ArcFace, s = 4, m = pi / 6 (30 degrees); cosines of the rows with the weights:
#   x0 (30 deg):  [r3/2, 1/2, -r3/2]; theta_0 + m = 60 deg -> z = 4 [1/2, 1/2, -r3/2]
#   x1 (150 deg): [-r3/2, 1/2, r3/2]; theta_1 + m = 90 deg -> z = [-2 r3, 0, 2 r3]
#   x2 (0 deg):   [1, 0, -1]; theta_2 + m = 210 deg > 180: z_2 = 4 (-1 - m sin m)
#                 = -4 - pi / 3 -> z = [4, 0, -4 - pi / 3]
ARCFACE_HAND = [lse(2, 2, -2 * R3) - 2, lse(-2 * R3, 0, 2 * R3) - 0,
                lse(4, 0, -4 - math.pi / 3) + 4 + math.pi / 3]
# CosFace, s = 4, m = 1/2: z_y = 4 (cos_y - 1/2)
#   x0: z = [2 r3 - 2, 2, -2 r3]; x1: z = [-2 r3, 0, 2 r3]; x2: z = [4, 0, -6]
COSFACE_HAND = [lse(2 * R3 - 2, 2, -2 * R3) - (2 * R3 - 2), lse(-2 * R3, 0, 2 * R3),
                lse(4, 0, -6) + 6]
# Circle softmax, s = 4, m = 1/4: z_y = 4 (5/4 - c)(c - 3/4), z_j = 4 max(0, c + 1/4)(c - 1/4)
#   x0: z_0 = 4 (5/4 - r3/2)(r3/2 - 3/4), z_1 = 4 (3/4)(1/4) = 3/4, z_2 = 0 (alpha_n = 0)
#   x1: z_1 = 4 (3/4)(-1/4) = -3/4, z_0 = 0, z_2 = 4 (r3/2 + 1/4)(r3/2 - 1/4)
#   x2: z_2 = 4 (9/4)(-7/4) = -63/4, z_0 = 4 (5/4)(3/4) = 15/4, z_1 = 4 (1/4)(-1/4) = -1/4
CIRCLE_Z0 = 4 * (1.25 - R3 / 2) * (R3 / 2 - 0.75)
CIRCLE_HAND = [lse(CIRCLE_Z0, 0.75, 0) - CIRCLE_Z0,
               lse(0, -0.75, 4 * (R3 / 2 + 0.25) * (R3 / 2 - 0.25)) + 0.75,
               lse(15 / 4, -1 / 4, -63 / 4) + 63 / 4]


@pytest.mark.parametrize("cls, margin, expected", [
    (ArcFaceLoss, math.pi / 6, ARCFACE_HAND), (CosFaceLoss, 0.5, COSFACE_HAND),
    (CircleSoftmaxLoss, 0.25, CIRCLE_HAND)], ids=IDS)
def test_hand_worked_values(cls, margin, expected):
    loss = attached(cls, 3, 2, HAND_WEIGHTS, scale=4.0, margin=margin, reduction="none")
    np.testing.assert_allclose(loss(HAND_LABELS, HAND_X).numpy(), expected, rtol=1e-5)


def ref_logit(name, cos, own, scale, margin):
    """One logit from its formula, in float64; ArcFace through the angle itself."""
    if name == "arcface" and own:
        theta = math.acos(cos)
        return scale * (math.cos(theta + margin) if theta + margin <= math.pi
                        else cos - margin * math.sin(margin))
    if name == "cosface" and own:
        return scale * (cos - margin)
    if name != "circle_softmax":
        return scale * cos
    if own:
        return scale * max(0.0, 1 + margin - cos) * (cos - (1 - margin))
    return scale * max(0.0, cos + margin) * (cos - margin)


def ref_losses(name, labels, x, weights, scale, margin):
    values = []
    for i in range(len(x)):
        xi = x[i] / np.linalg.norm(x[i])
        z = [ref_logit(name, float(np.clip(xi @ w / np.linalg.norm(w), -1, 1)),
                       j == labels[i], scale, margin) for j, w in enumerate(weights)]
        values.append(lse(*z) - z[labels[i]])
    return np.array(values)


def random_case(seed=0, batch=10, classes=5, dim=8):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, classes, batch), rng.normal(size=(batch, dim)).astype(np.float32),
            rng.normal(size=(classes, dim)).astype(np.float32))


@pytest.mark.parametrize("cls, name", list(zip(LOSSES, IDS, strict=True)), ids=IDS)
def test_matches_a_per_sample_loop(cls, name):
    labels, x, weights = random_case()
    loss = attached(cls, 5, 8, weights, reduction="none")
    expected = ref_losses(name, labels, x, weights.astype(np.float64), 64.0, loss.margin)
    # each logit is s cos, a cos off by a few float32 roundings over the 8 terms of the
    # normalisations and the dot product (gain 4); the loss moves by at most twice a logit's
    # error (its log-sum-exp and its own logit)
    tolerance = float32_tolerance(2 * 64.0, terms=8, gain=4)
    np.testing.assert_allclose(loss(labels, x).numpy(), expected, rtol=0, atol=tolerance)


def edge_case():
    """Rows equal to their class weight (cos 1), its opposite (cos -1), and at cos -0.95 from
    it (theta + 0.5 = 2.82 + 0.5 > pi)."""
    _, _, weights = random_case(1)
    unit = weights / np.linalg.norm(weights, axis=1, keepdims=True)
    other = unit[1] - (unit[1] @ unit[0]) * unit[0]
    other /= np.linalg.norm(other)
    past_pi = -0.95 * unit[0] + math.sqrt(1 - 0.95 ** 2) * other
    x = np.stack([weights[0], weights[2], -weights[3], -unit[4], past_pi]).astype(np.float32)
    return np.array([0, 2, 3, 4, 0]), x, weights


@pytest.mark.parametrize("cls", LOSSES, ids=IDS)
@pytest.mark.parametrize("dtype", [tf.float32, tf.float16], ids=["float32", "float16"])
def test_finite_at_the_edges_with_scale_64(cls, dtype):
    labels, x, weights = edge_case()
    loss = attached(cls, 5, 8, weights, reduction="none")
    embeddings = tf.Variable(tf.cast(x, dtype))
    with tf.GradientTape() as tape:
        values = loss(labels, embeddings)
    assert values.dtype == tf.float32 and values.shape == (5,)
    assert np.all(np.isfinite(values.numpy()))
    for gradient in tape.gradient(values, [embeddings, loss.proxies]):
        assert np.all(np.isfinite(tf.cast(gradient, tf.float32).numpy()))
    if dtype == tf.float16:
        # float16 rows turn by at most ~2^-11 (a relative rounding per coordinate), moving a
        # cosine as much; the steepest logit, circle softmax's s (1 + m - c)(c - 1 + m),
        # has slope 2 - 2c <= 4 times s, and the loss moves by at most twice a logit
        float32 = attached(cls, 5, 8, weights, reduction="none")(labels, x)
        np.testing.assert_allclose(values.numpy(), float32.numpy(), rtol=0,
                                   atol=2 * 4 * 64 * 2 ** -11)


def test_arcface_logit_at_cos_one_and_past_pi():
    _, _, weights = edge_case()
    loss = attached(ArcFaceLoss, 5, 8, weights)
    cos = tf.constant([[1.0, -1.0, -0.95]])
    theta = math.acos(-0.95)
    expected = 64 * np.array([math.cos(0.5), -1 - 0.5 * math.sin(0.5),
                              -0.95 - 0.5 * math.sin(0.5)])
    assert theta + 0.5 > math.pi
    np.testing.assert_allclose(loss.target_logits(cos).numpy()[0], expected, rtol=1e-5)


def test_circle_weights_carry_no_gradient():
    """alpha_p, alpha_n are constants: d z_y / d c = s alpha_p, d z_j / d c = s alpha_n."""
    loss = attached(CircleSoftmaxLoss, 3, 2, scale=4.0, margin=0.25)
    cos = tf.constant([[-0.9, -0.25, 0.5, 1.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(cos)
        own, other = loss.target_logits(cos), loss.other_logits(cos)
    np.testing.assert_allclose(tape.gradient(own, cos).numpy()[0],
                               4 * np.array([2.15, 1.5, 0.75, 0.25]), rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(other, cos).numpy()[0],
                               4 * np.array([0.0, 0.0, 0.75, 1.25]), rtol=1e-6)


@pytest.mark.parametrize("cls", LOSSES, ids=IDS)
def test_config_round_trip_and_reductions(cls):
    labels, x, weights = random_case()
    loss = cls(num_classes=5, embedding_dim=8, scale=30.0, margin=0.2, seed=3)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(again) is cls and again.get_config() == loss.get_config()
    assert (again.scale, again.margin, again.seed) == (30.0, 0.2, 3)
    np.testing.assert_array_equal(again.proxies.numpy(), loss.proxies.numpy())
    per_anchor = attached(cls, 5, 8, weights, reduction="none")(labels, x)
    mean = attached(cls, 5, 8, weights)(labels, x)
    assert per_anchor.shape == (10,)
    np.testing.assert_allclose(mean.numpy(), per_anchor.numpy().mean(), rtol=1e-6)


@pytest.mark.parametrize("cls", LOSSES, ids=IDS)
def test_xla_equals_eager(cls):
    labels, x, weights = random_case(2)
    loss = attached(cls, 5, 8, weights, reduction="none")
    compiled = tf.function(lambda y, e: loss(y, e), jit_compile=True)
    np.testing.assert_allclose(compiled(tf.constant(labels), tf.constant(x)).numpy(),
                               loss(labels, x).numpy(), rtol=0,
                               atol=float32_tolerance(2 * 64.0, terms=8, gain=4))


def test_misuse_is_a_clear_error():
    with pytest.raises(MissingArgumentsError, match="num_classes"):
        ArcFaceLoss()
    with pytest.raises(ConfigError, match="no miner"):
        CosFaceLoss(num_classes=3, embedding_dim=2, miner="hard")
    with pytest.raises(ConfigError, match="cosine"):
        CosFaceLoss(num_classes=3, embedding_dim=2, distance="euclidean")
    with pytest.raises(ConfigError, match="call loss.attach"):
        ArcFaceLoss(num_classes=3, embedding_dim=2)(HAND_LABELS, HAND_X)
    loss = attached(ArcFaceLoss, 3, 2)
    with pytest.raises(ConfigError, match=r"labels must lie in \[0, 3\)"):
        loss(np.array([0, 1, 3]), HAND_X)
    traced = tf.function(lambda y, e: loss(y, e))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"must lie in \[0, 3\)"):
        traced(tf.constant([0, -1, 2]), tf.constant(HAND_X))


def encoder(dim=4):
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(dim)], name="small")


@pytest.mark.parametrize("cls", [*LOSSES, ProxyAnchorLoss], ids=[*IDS, "proxy_anchor"])
def test_class_weights_train_save_and_load(tmp_path, cls):
    """As tests/losses/test_loss_state.py for ProxyNCA: ``tfreid.load_model`` restores the
    class weights (margin softmaxes, Proxy-Anchor's proxies) into the rebuilt loss, which
    trains on from them."""
    import tfreid

    x, y = np.random.default_rng(0).normal(size=(9, 3)).astype(np.float32), np.arange(9) % 3
    loss = cls(num_classes=3, embedding_dim=4)
    model = loss.attach(encoder())
    assert isinstance(model, EmbeddingTrainer)
    before = loss.proxies.numpy().copy()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    model.fit(x, y, batch_size=3, epochs=1, steps_per_epoch=2, verbose=0)
    assert not np.allclose(loss.proxies.numpy(), before)
    model.save(tmp_path / "m.keras")
    loaded = tfreid.load_model(tmp_path / "m.keras")
    assert type(loaded.loss) is cls and loaded.loss.attached
    assert any(w is loaded.loss.proxies for w in loaded.weights)
    np.testing.assert_array_equal(loaded.loss.proxies.numpy(), loss.proxies.numpy())
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    loaded.fit(x, y, batch_size=3, epochs=1, steps_per_epoch=1, verbose=0)
    assert not np.array_equal(loaded.loss.proxies.numpy(), loss.proxies.numpy())


def clusters(seed=0, classes=4, per_class=20, dim=6):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim)) * 3
    labels = np.repeat(np.arange(classes), per_class)
    return (centres[labels] + rng.normal(size=(len(labels), dim))).astype(np.float32), labels


@pytest.mark.parametrize("cls", LOSSES, ids=IDS)
def test_learns_separable_clusters(cls):
    x, y = clusters()
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8)])
    loss = cls(num_classes=4, embedding_dim=8)
    model = loss.attach(net)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss)
    model.fit(x, y, batch_size=80, epochs=40, verbose=0)
    embeddings = tf.math.l2_normalize(model.predict(x, verbose=0), axis=1)
    weights = tf.math.l2_normalize(loss.proxies, axis=1)
    predicted = tf.argmax(tf.matmul(embeddings, weights, transpose_b=True), axis=1).numpy()
    assert np.mean(predicted == y) > 0.9  # chance: 1/4

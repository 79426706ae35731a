"""Proxy-Anchor against a hand-worked value and a per-proxy loop of its formula; safe at
cos = +-1; one batch value per anchor; it trains, saves and loads its proxies."""

import math

import numpy as np
import pytest

from tests.tolerances import float32_tolerance
from tfreid.backend import keras, tf
from tfreid.errors import ConfigError, MissingArgumentsError
from tfreid.losses.proxy_anchor import ProxyAnchorLoss

R3 = math.sqrt(3.0)


def attached(num_classes, dim, proxies=None, **kwargs):
    loss = ProxyAnchorLoss(num_classes=num_classes, embedding_dim=dim, **kwargs)
    loss.attach(keras.Sequential([keras.Input((dim,)), keras.layers.Dense(dim)]))
    if proxies is not None:
        loss.proxies.assign(proxies)
    return loss


def test_hand_worked_value():
    """Proxies at 0, 90, 180 degrees; x0 at 30 degrees (label 0), x1 at 150 (label 1);
    alpha = 2, delta = 1/2. Cosines x0: [r3/2, 1/2, -r3/2], x1: [-r3/2, 1/2, r3/2].
    P+ = {0, 1} (no row of class 2):
      pull p0: log(1 + exp(-2 (r3/2 - 1/2))) = log(1 + e^(1 - r3));
      pull p1: log(1 + exp(-2 (1/2 - 1/2))) = log 2;
      push p0 (x1): log(1 + exp(2 (-r3/2 + 1/2))) = log(1 + e^(1 - r3));
      push p1 (x0): log(1 + exp(2 (1/2 + 1/2))) = log(1 + e^2);
      push p2 (x0, x1): log(1 + e^(1 - r3) + e^(1 + r3)).
    L = (pull p0 + pull p1) / 2 + (push p0 + push p1 + push p2) / 3."""
    proxies = np.array([[1, 0], [0, 1], [-1, 0]], np.float32)
    x = np.array([[R3 / 2, 0.5], [-R3 / 2, 0.5]], np.float32)
    small = math.exp(1 - R3)
    expected = ((math.log(1 + small) + math.log(2)) / 2
                + (math.log(1 + small) + math.log(1 + math.e ** 2)
                   + math.log(1 + small + math.exp(1 + R3))) / 3)
    loss = attached(3, 2, proxies, alpha=2.0, margin=0.5)
    np.testing.assert_allclose(loss(np.array([0, 1]), x).numpy(), expected, rtol=1e-6)


def ref_proxy_anchor(labels, x, proxies, alpha, delta):
    """The formula, one proxy at a time, in float64."""
    cos = [[float(a @ p / (np.linalg.norm(a) * np.linalg.norm(p))) for p in proxies]
           for a in x]
    pulls, pushes = [], []
    for c in range(len(proxies)):
        positive = [cos[i][c] for i in range(len(x)) if labels[i] == c]
        negative = [cos[i][c] for i in range(len(x)) if labels[i] != c]
        if positive:
            pulls.append(math.log(1 + sum(math.exp(-alpha * (s - delta)) for s in positive)))
        pushes.append(math.log(1 + sum(math.exp(alpha * (s + delta)) for s in negative)))
    return sum(pulls) / len(pulls) + sum(pushes) / len(proxies)


def random_case(seed=0, batch=10, classes=5, dim=8):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, classes, batch), rng.normal(size=(batch, dim)).astype(np.float32),
            rng.normal(size=(classes, dim)).astype(np.float32))


# each exponent alpha (s +- delta) is off by alpha times a cosine's error (a few float32
# roundings over the 8 terms of the normalisations and dot product: gain 4); a
# log(1 + sum exp) moves by at most its largest exponent's error, and L adds two averages
TOLERANCE = float32_tolerance(2 * 32.0, terms=8, gain=4)


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_a_per_proxy_loop(seed):
    labels, x, proxies = random_case(seed)
    loss = attached(5, 8, proxies)
    expected = ref_proxy_anchor(labels, x, proxies.astype(np.float64), 32.0, 0.1)
    np.testing.assert_allclose(loss(labels, x).numpy(), expected, rtol=0, atol=TOLERANCE)


def test_one_class_batch_has_no_negatives_for_its_proxy():
    _, x, proxies = random_case(3)
    labels = np.zeros(10, np.int64)
    expected = ref_proxy_anchor(labels, x, proxies.astype(np.float64), 32.0, 0.1)
    np.testing.assert_allclose(attached(5, 8, proxies)(labels, x).numpy(), expected, rtol=0,
                               atol=TOLERANCE)


def test_each_anchor_carries_the_batch_value():
    labels, x, proxies = random_case()
    value = attached(5, 8, proxies)(labels, x).numpy()
    per_anchor = attached(5, 8, proxies, reduction="none")(labels, x).numpy()
    total = attached(5, 8, proxies, reduction="sum")(labels, x).numpy()
    assert per_anchor.shape == (10,)
    np.testing.assert_allclose(per_anchor, np.full(10, value), rtol=1e-6)
    np.testing.assert_allclose(total, 10 * value, rtol=1e-6)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float16], ids=["float32", "float16"])
def test_finite_at_cos_plus_and_minus_one(dtype):
    _, _, proxies = random_case(1)
    labels = np.array([0, 1, 2, 3])
    x = np.stack([proxies[0], proxies[1], -proxies[2], -proxies[3]])
    loss = attached(5, 8, proxies, reduction="none")
    embeddings = tf.Variable(tf.cast(x, dtype))
    with tf.GradientTape() as tape:
        values = loss(labels, embeddings)
    assert values.dtype == tf.float32 and np.all(np.isfinite(values.numpy()))
    for gradient in tape.gradient(values, [embeddings, loss.proxies]):
        assert np.all(np.isfinite(tf.cast(gradient, tf.float32).numpy()))
    if dtype == tf.float16:  # a row turns by ~2^-11: exponents move by alpha as much, twice
        float32 = attached(5, 8, proxies, reduction="none")(labels, x)
        np.testing.assert_allclose(values.numpy(), float32.numpy(), rtol=0,
                                   atol=2 * 32 * 2 ** -11)


def test_config_round_trip():
    loss = ProxyAnchorLoss(num_classes=5, embedding_dim=8, alpha=16.0, margin=0.2, seed=4)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(again) is ProxyAnchorLoss and again.get_config() == loss.get_config()
    assert (again.alpha, again.margin, again.seed) == (16.0, 0.2, 4)
    np.testing.assert_array_equal(again.proxies.numpy(), loss.proxies.numpy())


def test_xla_equals_eager():
    labels, x, proxies = random_case(2)
    loss = attached(5, 8, proxies)
    compiled = tf.function(lambda y, e: loss(y, e), jit_compile=True)
    np.testing.assert_allclose(compiled(tf.constant(labels), tf.constant(x)).numpy(),
                               loss(labels, x).numpy(), rtol=0, atol=TOLERANCE)


def test_misuse_is_a_clear_error():
    with pytest.raises(MissingArgumentsError, match="embedding_dim"):
        ProxyAnchorLoss(num_classes=3)
    with pytest.raises(ConfigError, match="no miner"):
        ProxyAnchorLoss(num_classes=3, embedding_dim=2, miner="hard")
    with pytest.raises(ConfigError, match="alpha > 0"):
        ProxyAnchorLoss(num_classes=3, embedding_dim=2, alpha=0.0)
    with pytest.raises(ConfigError, match="call loss.attach"):
        ProxyAnchorLoss(num_classes=3, embedding_dim=2)(np.array([0]), np.ones((1, 2)))
    with pytest.raises(ConfigError, match=r"labels must lie in \[0, 3\)"):
        attached(3, 2)(np.array([0, 3]), np.ones((2, 2), np.float32))


def test_learns_separable_clusters():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 20)
    x = (rng.normal(size=(4, 6))[labels] * 3 + rng.normal(size=(80, 6))).astype(np.float32)
    keras.utils.set_random_seed(0)
    loss = ProxyAnchorLoss(num_classes=4, embedding_dim=8)
    model = loss.attach(keras.Sequential([keras.Input((6,)), keras.layers.Dense(8)]))
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss)
    history = model.fit(x, labels, batch_size=80, epochs=40, verbose=0).history["loss"]
    # classified by the nearest proxy (near chance before training, unlike the embeddings'
    # own rank-1, which a random linear map of these clusters already gets mostly right)
    embeddings = tf.math.l2_normalize(model.predict(x, verbose=0), axis=1)
    proxies = tf.math.l2_normalize(loss.proxies, axis=1)
    nearest = tf.argmax(tf.matmul(embeddings, proxies, transpose_b=True), axis=1).numpy()
    assert np.mean(nearest == labels) > 0.9  # chance: 1/4
    assert history[-1] < history[0] / 4

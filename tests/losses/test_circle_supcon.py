"""CircleLoss and SupervisedContrastiveLoss against hand-worked cases and per-anchor loops."""

import numpy as np
import pytest

from tests.tolerances import EPS, assert_float32_close
from tfreid.backend import keras, tf
from tfreid.errors import ConfigError
from tfreid.losses.circle import CircleLoss
from tfreid.losses.metric_loss import Batch
from tfreid.losses.supervised_contrastive import SupervisedContrastiveLoss
from tfreid.nn.distances import Distance

# Four unit vectors in 2-D, identities 0 (x0, x1) and 1 (x2, x3): every anchor has one
# positive at s = 0 (orthogonal) and negatives at s = -1 (opposite) and s = 0.
SQUARE = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], np.float32)
SQUARE_LABELS = np.array([0, 0, 1, 1])


def lse(values) -> float:
    values = np.asarray(values, np.float64)
    top = values.max()
    return float(top + np.log(np.exp(values - top).sum()))


def similarities(x: np.ndarray) -> np.ndarray:
    z = x / np.linalg.norm(x, axis=1, keepdims=True)
    return z @ z.T


def split(labels, i: int) -> tuple[list[int], list[int]]:
    n = len(labels)
    return ([j for j in range(n) if j != i and labels[j] == labels[i]],
            [k for k in range(n) if labels[k] != labels[i]])


def ref_circle(labels, x, margin, gamma) -> np.ndarray:
    """Per-anchor circle loss, eq. 6 / 8 of Sun et al., in float64."""
    s, values = similarities(x), []
    for i in range(len(x)):
        pos, neg = split(labels, i)
        if not pos or not neg:
            values.append(0.0)
            continue
        sp, sn = s[i, pos], s[i, neg]
        pull = -gamma * np.maximum(1 + margin - sp, 0) * (sp - (1 - margin))
        push = gamma * np.maximum(sn + margin, 0) * (sn - margin)
        values.append(np.logaddexp(0.0, lse(push) + lse(pull)))
    return np.array(values)


def ref_supcon(labels, x, tau) -> np.ndarray:
    """Per-anchor L^sup_out, eq. 2 of Khosla et al., term by term in float64."""
    s, values = similarities(x), []
    for i in range(len(x)):
        pos, _ = split(labels, i)
        others = [a for a in range(len(x)) if a != i]
        log_denominator = lse([s[i, a] / tau for a in others])
        terms = [s[i, p] / tau - log_denominator for p in pos]
        values.append(-np.mean(terms) if pos else 0.0)
    return np.array(values)


def random_batch(seed: int, n: int = 12, dim: int = 8):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    labels[-1] = 9  # an anchor with no positive in the batch
    return labels, rng.normal(size=(n, dim)).astype(np.float32)


MAKERS = {"circle": lambda **kw: CircleLoss(**kw),
          "supcon": lambda **kw: SupervisedContrastiveLoss(**kw)}


def test_hand_worked_circle():
    # m = 0.25, gamma = 4. Positive s = 0: alpha_p = 1.25, logit -4 * 1.25 * (0 - 0.75) = 3.75.
    # Negatives: s = -1: alpha_n = [-0.75]_+ = 0, logit 0; s = 0: alpha_n = 0.25, logit
    # 4 * 0.25 * (0 - 0.25) = -0.25. L = softplus(log(e^0 + e^-0.25) + 3.75)
    # = log(1 + e^3.75 + e^3.5) = log(1 + 42.521082 + 33.115452) = 4.339074, every anchor.
    loss = CircleLoss(margin=0.25, gamma=4.0)
    assert loss(SQUARE_LABELS, SQUARE).numpy() == pytest.approx(
        np.log(1 + np.exp(3.75) + np.exp(3.5)), rel=1e-6)
    assert np.log(1 + np.exp(3.75) + np.exp(3.5)) == pytest.approx(4.339074, abs=1e-6)


def test_hand_worked_supcon():
    # tau = 0.5. P(i) = {the orthogonal positive, s = 0}; A(i) = {s = 0, s = -1, s = 0}:
    # L = -log(e^0 / (e^0 + e^-2 + e^0)) = log(2 + e^-2) = log(2.135335) = 0.758624.
    loss = SupervisedContrastiveLoss(temperature=0.5)
    assert loss(SQUARE_LABELS, SQUARE).numpy() == pytest.approx(np.log(2 + np.exp(-2)),
                                                               rel=1e-6)
    assert np.log(2 + np.exp(-2)) == pytest.approx(0.758624, abs=1e-6)


class GivenMatrix(Distance):
    """A similarity that ignores the rows and returns a given (B, B) variable, to take the
    loss's gradient with respect to s itself."""

    is_similarity = True

    def __init__(self, matrix: tf.Variable):
        super().__init__()
        self.given = matrix

    def matrix(self, queries, keys):
        return self.given


def test_circle_gradient_holds_alpha_constant():
    # The square's s with gamma = 4, m = 0.25 (test_hand_worked_circle): z = 3.75 +
    # log(1 + e^-0.25), dL_i/dz = sigmoid(z). With alpha held constant, dz/ds_p = -gamma
    # alpha_p = -5; dz/ds_n = softmax weight of n among the negatives' logits (0 and -0.25)
    # times gamma alpha_n: 0 for s_n = -1 (alpha_n = 0), e^-0.25 / (1 + e^-0.25) for s_n = 0.
    # The mean over 4 anchors divides by 4. (Differentiating alpha_p too would give
    # dz/ds_p = -gamma (2 - 2 s_p) = -8, not -5.)
    s = tf.Variable(similarities(SQUARE.astype(np.float64)).astype(np.float32))
    with tf.GradientTape() as tape:
        value = CircleLoss(margin=0.25, gamma=4.0, distance=GivenMatrix(s))(SQUARE_LABELS, SQUARE)
    z = 3.75 + np.log1p(np.exp(-0.25))
    slope, weight = 1 / (1 + np.exp(-z)) / 4, np.exp(-0.25) / (1 + np.exp(-0.25))
    partner, orthogonal_negative = [1, 0, 3, 2], [3, 2, 1, 0]
    expected = np.zeros((4, 4))
    for i in range(4):
        expected[i, partner[i]] = -5 * slope
        expected[i, orthogonal_negative[i]] = weight * slope
    np.testing.assert_allclose(tape.gradient(value, s).numpy(), expected, rtol=1e-5)


def test_supcon_gradient_is_softmax_minus_positive_share():
    # dL_i/ds_ia = (softmax over A(i) of s / tau - [a in P(i)] / |P(i)|) / tau, mean over 4
    s = tf.Variable(similarities(SQUARE.astype(np.float64)).astype(np.float32))
    with tf.GradientTape() as tape:
        value = SupervisedContrastiveLoss(temperature=0.5, distance=GivenMatrix(s))(
            SQUARE_LABELS, SQUARE)
    logits = np.where(np.eye(4, dtype=bool), -np.inf, similarities(SQUARE) / 0.5)
    softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    share = (SQUARE_LABELS[:, None] == SQUARE_LABELS[None]) & ~np.eye(4, dtype=bool)
    expected = (softmax - share / share.sum(1, keepdims=True)) / 0.5 / 4
    np.testing.assert_allclose(tape.gradient(value, s).numpy(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("margin, gamma", [(0.25, 256.0), (0.4, 80.0), (0.25, 4.0)])
@pytest.mark.parametrize("seed", [0, 1])
def test_circle_matches_loop(margin, gamma, seed):
    labels, x = random_batch(seed)
    got = CircleLoss(margin=margin, gamma=gamma, reduction="none")(labels, x).numpy()
    expected = ref_circle(labels, x.astype(np.float64), margin, gamma)
    # Worst case: s, a D = 8 dot product of normalised float32 rows (sum of |terms| <= 1), is
    # off by at most ~(D + 4) EPS; each logit multiplies that by gamma alpha <= gamma (2 + m)
    # and rounds 3 times (|logit| <= 2 gamma (2 + m)); softplus(lse + lse) has derivatives
    # summing to <= 2 over the logits: |dL| <= 2 gamma (2 + m) (12 + 6) EPS; 80 is a little
    # over twice that, plus L's own roundings. (Seen: about 1/50 of it.)
    tolerance = 80 * gamma * (2 + margin) * EPS + 8 * EPS * np.abs(expected)
    np.testing.assert_array_less(np.abs(got - expected), tolerance)
    assert got[-1] == 0.0


@pytest.mark.parametrize("tau", [0.1, 0.07, 0.01])
@pytest.mark.parametrize("seed", [0, 1])
def test_supcon_matches_loop(tau, seed):
    labels, x = random_batch(seed)
    got = SupervisedContrastiveLoss(temperature=tau, reduction="none")(labels, x).numpy()
    expected = ref_supcon(labels, x.astype(np.float64), tau)
    # as for the circle loss: s off by ~(D + 4) EPS, each logit s / tau by that / tau plus
    # its rounding (|logit| <= 1 / tau); lse - mean has derivatives summing to <= 2:
    # |dL| <= 26 EPS / tau, 64 over twice that. (Seen: about 1/80 of it.)
    tolerance = 64 * EPS / tau + 8 * EPS * np.abs(expected)
    np.testing.assert_array_less(np.abs(got - expected), tolerance)
    assert got[-1] == 0.0


CASES = {
    "identical": (np.ones((6, 4), np.float32), [0, 0, 1, 1, 2, 2]),
    "zero": (np.zeros((6, 4), np.float32), [0, 0, 1, 1, 2, 2]),
    # s_p = +1 and s_n = -1 exactly, then s_p = -1 and s_n = +1 exactly
    "opposite_ids": (np.array([[1, 0], [1, 0], [-1, 0], [-1, 0]], np.float32), [0, 0, 1, 1]),
    "crossed_ids": (np.array([[1, 0], [1, 0], [-1, 0], [-1, 0]], np.float32), [0, 1, 0, 1]),
}
EXTREME = {"circle": lambda: CircleLoss(margin=0.25, gamma=256.0),
           "supcon": lambda: SupervisedContrastiveLoss(temperature=0.01)}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", EXTREME)
def test_gradient_finite_at_edges(name, case):
    x, labels = CASES[case]
    variable = tf.Variable(x)
    with tf.GradientTape() as tape:
        value = EXTREME[name]()(tf.constant(labels), variable)
    gradient = tape.gradient(value, variable)
    assert np.isfinite(value.numpy()) and np.isfinite(gradient.numpy()).all()


def test_circle_large_gamma_does_not_overflow():
    # s_p = -1, s_n = +1: exponent 256 (2.25 * 1.75 + 1.25 * 0.75) = 1248, e^1248 = inf in
    # float32 and float64; the loss is that exponent (softplus(x) = x + log1p(e^-x)).
    x, labels = CASES["crossed_ids"]
    value = CircleLoss(gamma=256.0)(labels, x).numpy()
    assert value == pytest.approx(256 * (2.25 * 1.75 + 1.25 * 0.75), rel=1e-6)


@pytest.mark.parametrize("name", MAKERS)
def test_half_precision_inputs(name):
    labels, x = random_batch(3)
    half = tf.Variable(tf.cast(x, tf.float16))
    with tf.GradientTape() as tape:
        value = MAKERS[name]()(labels, half)
    gradient = tape.gradient(value, half)
    assert value.dtype == tf.float32 and np.isfinite(gradient.numpy()).all()
    assert value.numpy() == pytest.approx(MAKERS[name]()(labels, x.astype(np.float16)
                                                         .astype(np.float32)).numpy())


def test_mixed_precision_policy_trains_finitely():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        dense = keras.layers.Dense(4)
        labels, x = random_batch(4)
        for make in MAKERS.values():
            with tf.GradientTape() as tape:
                out = dense(x)
                value = make()(labels, out)
            gradients = tape.gradient(value, dense.trainable_variables)
            assert out.dtype == tf.float16 and value.dtype == tf.float32
            assert all(np.isfinite(g.numpy()).all() for g in gradients)
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("name", MAKERS)
def test_anchors_without_positives_are_zero_and_change_nothing_else(name):
    labels, x = random_batch(5)
    loss = MAKERS[name]()
    values = MAKERS[name](reduction="none")(labels, x).numpy()
    assert values.shape == (len(x),) and values[-1] == 0.0  # label 9 is alone
    # the mean is over all anchors (tfreid's rule): the lone anchor adds 0 to the sum
    assert loss(labels, x).numpy() == pytest.approx(values.sum() / len(x), rel=1e-6)
    alone = SupervisedContrastiveLoss(reduction="none")([0, 1, 2], x[:3]).numpy()
    np.testing.assert_array_equal(alone, 0.0)


def test_circle_anchor_without_negative_is_zero():
    values = CircleLoss(reduction="none")([0, 0, 0], SQUARE[:3]).numpy()
    np.testing.assert_array_equal(values, 0.0)


@pytest.mark.parametrize("name", MAKERS)
def test_keys_of_other_replicas(name):
    # rows 6.. as this replica's queries, all 12 rows as keys (what across_replicas builds):
    # each query's value is the one it has in the whole batch
    labels, x = random_batch(6)
    loss = MAKERS[name]()
    whole = loss.anchor_losses(Batch.of(tf.constant(labels), tf.constant(x))).numpy()
    shard = Batch(tf.constant(labels[6:]), tf.constant(x[6:]), tf.constant(labels),
                  tf.constant(x), tf.range(6, 12, dtype=tf.int32))
    np.testing.assert_allclose(loss.anchor_losses(shard).numpy(), whole[6:], rtol=1e-6)
    # empty memory slots (CrossBatchMemory's invalid keys) are in neither P(i) nor A(i)
    padded = Batch.of(tf.constant(labels), tf.constant(x)).with_extra_keys(
        tf.constant(labels), tf.constant(x[::-1]), tf.zeros(len(x), tf.bool))
    np.testing.assert_allclose(loss.anchor_losses(padded).numpy(), whole, rtol=1e-6)


def test_hard_miner_restricts_the_pairs():
    labels, x = random_batch(7)
    got = CircleLoss(miner="hard", gamma=32.0, reduction="none")(labels, x).numpy()
    s = similarities(x.astype(np.float64))
    expected = []
    for i in range(len(x)):
        pos, neg = split(labels, i)
        if not pos:
            expected.append(0.0)
            continue
        sp, sn = s[i, pos].min(), s[i, neg].max()  # farthest positive, closest negative
        pull, push = -32 * (1.25 - sp) * (sp - 0.75), 32 * max(sn + 0.25, 0) * (sn - 0.25)
        expected.append(np.logaddexp(0.0, pull + push))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", MAKERS)
def test_config_round_trip(name):
    loss = CircleLoss(margin=0.4, gamma=80.0) if name == "circle" else \
        SupervisedContrastiveLoss(temperature=0.07)
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()
    labels, x = random_batch(8)
    assert clone(labels, x).numpy() == pytest.approx(loss(labels, x).numpy(), rel=1e-6)


@pytest.mark.parametrize("make", [lambda: CircleLoss(distance="euclidean"),
                                  lambda: CircleLoss(gamma=0.0),
                                  lambda: SupervisedContrastiveLoss(temperature=0.0),
                                  lambda: SupervisedContrastiveLoss(distance="euclidean")])
def test_bad_arguments_raise(make):
    with pytest.raises(ConfigError):
        make()


@pytest.mark.numeric
@pytest.mark.parametrize("name", MAKERS)
def test_compiles_under_xla(name):
    loss = MAKERS[name]()
    labels, x = random_batch(9)
    compiled = tf.function(lambda y, e: loss(y, e), jit_compile=True)
    # as tests/losses/test_metric_losses.py: XLA orders the similarities' sums, the per-anchor
    # exp / log and the mean otherwise (3 roundings of all values). The logits scale s by
    # gamma (2 + m) or 1 / tau, but the loss (about 360 and 4.4 here) scales with them, so
    # the relative error does not grow: gain 1 (seen: 0 and 5e-7, tolerances 5e-3 and 6e-5)
    assert_float32_close(compiled(tf.constant(labels), tf.constant(x)).numpy(),
                         loss(labels, x).numpy(), terms=x.size, steps=3)


def clusters(seed: int, per_class: int = 8, classes: int = 4, dim: int = 8):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim)) * 3
    labels = np.repeat(np.arange(classes), per_class)
    x = centres[labels] + rng.normal(size=(len(labels), dim))
    return labels, x.astype(np.float32)


# the lowest value each loss can reach on 4 classes x 8 rows: circle 0; supcon log |P(i)| =
# log 7 (each p's softmax over A(i) at most 1/7, with the 6 other positives at s = 1 too)
FLOOR = {"circle": 0.0, "supcon": np.log(7.0)}


@pytest.mark.parametrize("name", MAKERS)
def test_training_lowers_the_loss(name):
    keras.utils.set_random_seed(0)
    labels, x = clusters(10)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    loss, optimizer = MAKERS[name](), keras.optimizers.Adam(0.05)
    before = float(loss(labels, model(x)))
    for _ in range(15):
        with tf.GradientTape() as tape:
            value = loss(labels, model(x))
        optimizer.apply_gradients(zip(tape.gradient(value, model.trainable_variables),
                                      model.trainable_variables, strict=True))
    after = float(loss(labels, model(x)))
    assert after - FLOOR[name] < 0.3 * (before - FLOOR[name])

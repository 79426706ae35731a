"""LpDistance's rule: equal rows are exactly 0 apart (with a zero gradient), other rows are
within the expansion's round-off bound of a float64 reference (issue 18, item 5a)."""

import numpy as np
import pytest

from tfreid.backend import tf
from tfreid.nn.distances import LpDistance, pair_distance

pytestmark = pytest.mark.numeric  # distances against a float64 reference

EPS32 = float(np.finfo(np.float32).eps)  # 1.19e-7: float32 spacing at 1, twice the unit round-off
DIM = 32


def doubled_rows() -> np.ndarray:
    """200 random 32-d rows, then the same 200 again: row i equals row 200 + i."""
    x = np.random.default_rng(0).normal(size=(200, DIM)).astype(np.float32)
    return np.concatenate([x, x])


def matrix_and_gradients(distance: LpDistance, rows: np.ndarray, jit: bool):
    """The (400, 400) matrix, the gradient of its sum, of the equal pairs' entries and of
    two distinct entries, (0, 5) and (3, 17), with respect to the rows."""

    def run(x):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            m = distance.matrix(x, x)
            equal = tf.reduce_sum(tf.linalg.diag_part(m)) + tf.reduce_sum(
                tf.linalg.diag_part(m[:200, 200:]))
            entries = m[0, 5], m[3, 17]
        return (m, tape.gradient(m, x), tape.gradient(equal, x),
                *(tape.gradient(entry, x) for entry in entries))

    fn = tf.function(run, jit_compile=True) if jit else run
    return [t.numpy() for t in fn(tf.constant(rows))]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("power", [1, 2])
def test_equal_rows_are_exactly_zero_and_others_match_float64(power, normalize, jit):
    rows = doubled_rows()
    distance = LpDistance(power=power, normalize_embeddings=normalize)
    m, grad, grad_equal, grad_05, grad_317 = matrix_and_gradients(distance, rows, jit)
    first, second = np.arange(200), np.arange(200, 400)
    assert (np.diag(m) == 0).all()  # each row against itself
    assert (m[first, second] == 0).all() and (m[second, first] == 0).all()  # equal rows

    # Reference: exact differences in float64 of the rows the distance saw (normalised
    # in float32 by its own prepare), so only the expansion's round-off is measured.
    seen = distance.prepare(tf.constant(rows[:200])).numpy().astype(np.float64)
    true_squared = ((seen[:, None] - seen[None]) ** 2).sum(-1)
    norms = (seen**2).sum(1)
    # |q|^2 - 2 q.k + |k|^2 in float32: each dot product of D = 32 terms is within
    # D u (u = eps / 2) of its value relative to its sum of absolute terms, and
    # |2 q.k| <= |q|^2 + |k|^2; with the two additions: (D + 2) eps (|q|^2 + |k|^2).
    bound = (DIM + 2) * EPS32 * (norms[:, None] + norms[None, :])
    distinct = ~np.eye(200, dtype=bool)
    got = m[:200, :200][distinct]
    assert (got > 0).all()  # random rows are far beyond the resolution: none snapped to 0
    if power == 2:
        error, tolerance = np.abs(got - true_squared[distinct]), bound[distinct]
    else:  # |sqrt(s') - d| = |s' - d^2| / (sqrt(s') + d) <= bound / d, + the sqrt's rounding
        true = np.sqrt(true_squared[distinct])
        error, tolerance = np.abs(got - true), bound[distinct] / true + EPS32 * true
    assert (error <= tolerance).all(), (error - tolerance).max()

    assert np.isfinite(grad).all()
    assert (grad_equal == 0).all()  # exact 0 entries have a zero gradient
    for (i, j), g in (((0, 5), grad_05), ((3, 17), grad_317)):  # +-(a - b) / ||a - b||
        scale = 1.0 if not normalize else 1.0 / np.linalg.norm(rows[i])
        if power == 1 and not normalize:
            np.testing.assert_allclose(np.linalg.norm(g[[i, j]], axis=1), [1.0, 1.0], rtol=1e-5)
        assert np.linalg.norm(g[i]) <= (2.0 * np.sqrt(true_squared[i, j]) if power == 2
                                        else np.sqrt(2.0)) * scale + 1e-5


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16])
def test_half_precision_rows_are_widened(dtype):
    rows = tf.cast(doubled_rows()[::50], dtype)  # 8 rows: 0, 50, 100, 150 twice
    with tf.GradientTape() as tape:
        tape.watch(rows)
        m = LpDistance().matrix(rows, rows)
    grad = tape.gradient(m, rows)
    assert m.dtype == tf.float32
    assert (np.diag(m.numpy()) == 0).all() and (np.diag(m.numpy()[:4, 4:]) == 0).all()
    assert np.isfinite(tf.cast(grad, tf.float32).numpy()).all()


def test_pair_distance_of_equal_rows_is_zero_with_a_zero_gradient_in_float16():
    a = tf.constant(np.ones((3, 4)), tf.float16)
    with tf.GradientTape() as tape:
        tape.watch(a)
        d = pair_distance(a, tf.identity(a))
    grad = tape.gradient(d, a).numpy()
    assert (d.numpy() == 0).all() and np.isfinite(grad).all() and (grad == 0).all()


def test_nan_rows_stay_nan_and_collapsed_rows_far_from_the_origin_keep_their_distances():
    """A diverged encoder must not look finite; rows spread by 1e-3 around a point 1e3 from
    the origin are not rounded to 0 (the rows are centred before the expansion)."""
    rows = np.random.default_rng(0).normal(size=(6, 32)).astype(np.float32)
    rows[2, 0] = np.nan
    distances = LpDistance().matrix(tf.constant(rows), tf.constant(rows)).numpy()
    assert np.isnan(distances[2]).all() and np.isnan(distances[:, 2]).all()
    collapsed = (1e3 + 1e-3 * np.random.default_rng(1).normal(size=(8, 32))).astype(np.float32)
    exact = collapsed.astype(np.float64)
    expected = np.sqrt(((exact[:, None] - exact[None]) ** 2).sum(-1))
    got = LpDistance().matrix(tf.constant(collapsed), tf.constant(collapsed)).numpy()
    off_diagonal = ~np.eye(8, dtype=bool)
    # centred, the rows' norms are about their spread, so the expansion's round-off is that
    # of numbers near 1e-3 (uncentred, the bound at |a|^2 = 3.2e7 would round all to 0)
    np.testing.assert_allclose(got[off_diagonal], expected[off_diagonal], rtol=1e-3)

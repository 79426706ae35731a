import numpy as np
import pytest

from tfreid.errors import DataError
from tfreid.metrics import correlated_features, mean_absolute_correlation


def direct_mac(r):
    """Eq. 2-3 of paper 000 as written: double loop over feature pairs mu > nu."""
    n, d = r.shape
    total = 0.0
    for nu in range(d):
        for mu in range(nu + 1, d):
            a, b = r[:, nu], r[:, mu]
            corr = np.sum((a - a.mean()) * (b - b.mean())) / (n * a.std() * b.std())
            total += abs(corr)
    return 2.0 / (d * (d - 1)) * total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mac_matches_direct_formula(seed):
    rng = np.random.default_rng(seed)
    r = rng.normal(size=(60, 7)) @ rng.normal(size=(7, 7))  # correlated features
    assert mean_absolute_correlation(r) == pytest.approx(direct_mac(r), rel=1e-10)
    assert mean_absolute_correlation(r) == pytest.approx(
        np.abs(np.corrcoef(r.T)[np.triu_indices(7, 1)]).mean(), rel=1e-10)


def test_mac_edge_cases():
    x = np.linspace(0, 1, 50)
    assert mean_absolute_correlation(np.stack([x, -2 * x + 1, 3 * x], 1)) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    assert mean_absolute_correlation(rng.normal(size=(20000, 4))) < 0.02
    # A constant feature counts as correlation 1 with every other feature:
    # pairs (x, y) ~ 0, (x, c) = 1, (y, c) = 1 -> mAC = 2/3 (within noise).
    r = np.stack([rng.normal(size=20000), rng.normal(size=20000), np.full(20000, 3.0)], 1)
    assert mean_absolute_correlation(r) == pytest.approx(2 / 3, abs=0.01)


def test_cf_counts_linearly_dependent_features():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(100, 5)).astype(np.float32)
    assert correlated_features(base) == 0
    dependent = np.concatenate([base, base[:, :2] * 2, base[:, [0]] - base[:, [3]]], 1)
    assert correlated_features(dependent) == 3
    assert correlated_features(np.concatenate([base, np.zeros((100, 2))], 1)) == 2


def test_cf_rank_is_capped_by_sample_count():
    # With fewer samples than features the rank is at most N: CF >= D - N.
    assert correlated_features(np.random.default_rng(0).normal(size=(4, 10))) == 6


def test_bad_shapes():
    with pytest.raises(DataError):
        mean_absolute_correlation(np.zeros(5))
    with pytest.raises(DataError):
        correlated_features(np.zeros((1, 4)))

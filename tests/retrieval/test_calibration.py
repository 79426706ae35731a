"""Verification thresholds on constructed pairs, worked by hand."""

import numpy as np
import pytest

from tfreid.errors import ConfigError, DataError
from tfreid.retrieval import EmbeddingIndex, calibrate, verification_curve

# Sorted pairs: distances 1..8; same, same, diff, same, diff, same, diff, diff.
DISTANCES = np.array([4.0, 1.0, 8.0, 2.0, 5.0, 3.0, 7.0, 6.0])
SAME = np.array([True, True, False, True, False, False, False, True])


def test_curve_by_hand():
    curve = verification_curve(DISTANCES, SAME)
    np.testing.assert_array_equal(curve["threshold"], np.arange(1.0, 9.0))
    # accepted at t: TP 1 2 2 3 3 4 4 4, FP 0 0 1 1 2 2 3 4; 4 same, 4 different
    np.testing.assert_allclose(curve["precision"], [1, 1, 2 / 3, 3 / 4, 3 / 5, 4 / 6, 4 / 7, 4 / 8])
    np.testing.assert_allclose(curve["recall"], [1 / 4, 2 / 4, 2 / 4, 3 / 4, 3 / 4, 1, 1, 1])
    np.testing.assert_allclose(curve["far"], [0, 0, 1 / 4, 1 / 4, 2 / 4, 2 / 4, 3 / 4, 1])


@pytest.mark.parametrize("target, value, threshold, recall", [
    ("precision", 1.0, 2.0, 0.5),     # the largest t with precision 1
    ("precision", 0.75, 4.0, 0.75),   # 3/4 at t = 4; 3/5 after
    ("precision", 0.6, 6.0, 1.0),     # 4/6 at t = 6 is the last >= 0.6
    ("far", 0.25, 4.0, 0.75),         # FAR 1/4 up to t = 4
    ("far", 0.0, 2.0, 0.5),
    ("far", 1.0, 8.0, 1.0),
])
def test_threshold_for_each_target(target, value, threshold, recall):
    chosen = calibrate(DISTANCES, SAME, target, value)
    assert chosen.threshold == threshold and chosen.recall == recall
    assert chosen.summary()["threshold"] == threshold and "curve" not in chosen.summary()


def test_ties_are_accepted_together():
    curve = verification_curve([1.0, 1.0, 2.0], [True, False, True])
    np.testing.assert_array_equal(curve["threshold"], [1.0, 2.0])
    np.testing.assert_allclose(curve["precision"], [0.5, 2 / 3])


def test_unreachable_targets():
    with pytest.raises(DataError, match="no threshold reaches precision"):
        calibrate([1.0, 2.0], [False, True], "precision", 0.9)
    nothing = calibrate([1.0, 2.0], [False, True], "far", 0.0)
    assert nothing.threshold < 1.0 and nothing.recall == 0.0
    with pytest.raises(DataError, match="both"):
        calibrate([1.0, 2.0], [True, True])
    with pytest.raises(ConfigError, match="unknown calibration target"):
        calibrate(DISTANCES, SAME, "accuracy", 0.5)


def test_index_calibrates_keeps_and_matches(tmp_path):
    # Two identities far apart on a line: same-identity pairs lie within 1, others beyond 9.
    gallery = np.array([[0.0], [0.5], [1.0], [10.0], [10.5], [11.0]])
    index = EmbeddingIndex(1)
    index.add(gallery, [0, 0, 0, 1, 1, 1])
    chosen = index.calibrate(np.array([[0.2], [10.2]]), [0, 1], "precision", 1.0, k=6)
    assert chosen.threshold == pytest.approx(0.8) and chosen.recall == 1.0
    index.save(tmp_path / "index")
    loaded = EmbeddingIndex.load(tmp_path / "index")
    assert loaded.threshold == pytest.approx(0.8)
    same, distances = loaded.match(np.array([[0.0], [0.0]]), np.array([[0.7], [5.0]]))
    assert same.tolist() == [True, False]
    np.testing.assert_allclose(distances, [0.7, 5.0])
    with pytest.raises(DataError, match="calibrate it first"):
        EmbeddingIndex(1).match(np.zeros((1, 1)), np.zeros((1, 1)))

"""Verification: the distance threshold under which two embeddings show the same individual.

Pairs (distance d_i, same_i) are accepted as "same" when d_i <= t. Over every
threshold t (each distinct distance):

    precision(t) = TP / (TP + FP)     recall(t) = TPR(t) = TP / #same
    FAR(t) = FP / #different          (the false-accept rate, ROC's x axis)

``calibrate(distances, same, "precision", p)`` picks the largest t whose
precision is at least p (the most recall at that precision);
``calibrate(..., "far", f)`` the largest t whose FAR is at most f. The result
keeps the whole curve for the ROC and precision-recall figure
(``tfreid.plots.plot_verification``).
"""

from dataclasses import asdict, dataclass, field

import numpy as np

from tfreid.errors import ConfigError, DataError
from tfreid.retrieval.names import TARGETS


@dataclass
class Calibration:
    """A chosen threshold, what it achieves on the calibration pairs, and their curve."""

    threshold: float
    target: str
    value: float
    precision: float
    recall: float
    far: float
    pairs: int
    curve: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    def summary(self) -> dict:
        """Everything but the curve, as plain numbers (what an index's manifest stores)."""
        return {k: v for k, v in asdict(self).items() if k != "curve"}


def verification_curve(distances: np.ndarray, same: np.ndarray) -> dict[str, np.ndarray]:
    """threshold, precision, recall (TPR) and FAR at each distinct distance, ascending."""
    distances = np.asarray(distances, np.float64).reshape(-1)
    same = np.asarray(same, bool).reshape(-1)
    if len(distances) != len(same) or not len(same):
        raise DataError("calibration needs as many same/different flags as distances, and >= 1")
    if same.all() or not same.any():
        raise DataError("calibration needs both same-identity and different-identity pairs")
    order = np.argsort(distances, kind="stable")
    distances, same = distances[order], same[order]
    last = np.r_[distances[1:] != distances[:-1], True]  # accept a tie group whole
    true_accepts, false_accepts = np.cumsum(same)[last], np.cumsum(~same)[last]
    return {"threshold": distances[last],
            "precision": true_accepts / (true_accepts + false_accepts),
            "recall": true_accepts / same.sum(), "far": false_accepts / (~same).sum()}


def calibrate(distances: np.ndarray, same: np.ndarray, target: str = "precision",
              value: float = 0.99) -> Calibration:
    """The threshold meeting ``target`` (``precision`` >= value or ``far`` <= value) with
    the most recall (module docstring).

    Example::

        import numpy as np
        from tfreid.retrieval.calibration import calibrate

        distances = np.array([0.2, 0.3, 0.4, 0.7, 0.9, 1.1])   # of verification pairs
        same = np.array([True, True, False, True, False, False])
        calibration = calibrate(distances, same, "far", 1e-3)    # accept no different pair
        accepted = np.array([0.25, 0.5]) <= calibration.threshold
        assert accepted.tolist() == [True, False]
    """
    if target not in TARGETS:
        raise ConfigError(f"unknown calibration target {target!r}; choose from "
                          f"{', '.join(TARGETS)}")
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"a target {target} must lie in [0, 1], got {value}")
    curve = verification_curve(distances, same)
    meets = curve["precision"] >= value if target == "precision" else curve["far"] <= value
    if not meets.any():
        if target == "precision":
            raise DataError(f"no threshold reaches precision {value} on these pairs (the best "
                            f"is {curve['precision'].max():.4f})")
        below = float(np.nextafter(curve["threshold"][0], -np.inf))
        return Calibration(below, target, value, 1.0, 0.0, 0.0, len(np.ravel(same)), curve)
    chosen = int(np.flatnonzero(meets)[-1])
    return Calibration(float(curve["threshold"][chosen]), target, value,
                       float(curve["precision"][chosen]), float(curve["recall"][chosen]),
                       float(curve["far"][chosen]), len(np.ravel(same)), curve)

"""The ROC and precision-recall curves of a verification threshold (``calibrate``)."""

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tfreid.plots.common import save_figure


def plot_verification(curve: dict[str, np.ndarray], path: str | Path,
                      chosen: dict[str, Any] | None = None) -> Path:
    """ROC (true-accept rate against false-accept rate, log x) and precision-recall side by
    side, the chosen threshold marked; the curve as JSON beside the PNG."""
    figure = Figure(figsize=(9, 4))
    roc, pr = figure.subplots(1, 2)
    far = np.maximum(curve["far"], 1e-6)
    roc.plot(far, curve["recall"])
    roc.set(xscale="log", xlabel="false-accept rate (FAR)", ylabel="true-accept rate",
            title="ROC")
    pr.plot(curve["recall"], curve["precision"])
    pr.set(xlabel="recall", ylabel="precision", title="precision-recall", ylim=(0, 1.02))
    if chosen is not None:
        label = f"threshold {chosen['threshold']:.4g} ({chosen['target']} {chosen['value']:g})"
        roc.plot([max(chosen["far"], 1e-6)], [chosen["recall"]], "o", color="red", label=label)
        pr.plot([chosen["recall"]], [chosen["precision"]], "o", color="red", label=label)
        pr.legend(loc="lower left", fontsize="small")
    for axes in (roc, pr):
        axes.grid(alpha=0.3)
    data = {key: np.asarray(values).tolist() for key, values in curve.items()}
    return save_figure(figure, path, {"curve": data, "chosen": chosen})

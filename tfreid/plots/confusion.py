"""Confusion matrix of a linear probe, counts in the cells (paper 002, Figs. 15 and 16)."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from tfreid.plots.common import save_figure


def plot_confusion(confusion: np.ndarray, class_names: list[str], title: str,
                   path: str | Path) -> Path:
    """Rows: true class, columns: predicted class, as ``metrics.confusion_matrix`` gives."""
    confusion = np.asarray(confusion)
    size = 1.0 + 0.45 * len(class_names)
    figure = Figure(figsize=(size + 1.0, size))
    axis = figure.add_subplot(1, 1, 1)
    image = axis.imshow(confusion, cmap="Blues")
    for (row, column), count in np.ndenumerate(confusion):
        colour = "white" if count > confusion.max() / 2 else "black"
        axis.text(column, row, str(count), ha="center", va="center", fontsize=7, color=colour)
    ticks = range(len(class_names))
    axis.set_xticks(ticks, class_names, rotation=60, ha="right", fontsize=7)
    axis.set_yticks(ticks, class_names, fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title, fontsize=9)
    figure.colorbar(image, ax=axis, fraction=0.046)
    return save_figure(figure, path, {"classes": class_names, "confusion": confusion.tolist(),
                                      "title": title})

"""Figures of paper 000's studies, drawn from sweep rows and their summary."""

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tfreid.metrics.measures import CF, MAC, RANK1
from tfreid.plots.common import save_figure


def _x_values(summary: list[dict[str, Any]], field: str) -> tuple[list, bool]:
    values = [entry["variant"][field] for entry in summary]
    numeric = all(isinstance(v, int | float) for v in values)
    return values, numeric


def plot_measure_vs_setting(
    summary: list[dict[str, Any]], field: str, measures: tuple[str, ...], path: str | Path,
    xlabel: str, title: str, x_transform=None, log_x: bool = False,
) -> Path:
    """Measures (mean ± std/sqrt(folds)) against one swept setting, one panel per measure."""
    values, numeric = _x_values(summary, field)
    x = [x_transform(v) for v in values] if x_transform else values
    positions = x if numeric else list(range(len(x)))
    figure = Figure(figsize=(3.6 * len(measures), 3.6))
    for panel, measure in enumerate(measures, start=1):
        axis = figure.add_subplot(1, len(measures), panel)
        axis.errorbar(positions, [entry[f"{measure}_mean"] for entry in summary],
                      yerr=[entry[f"{measure}_err"] for entry in summary], marker="o", capsize=3)
        if log_x:
            axis.set_xscale("log")
        if not log_x:
            axis.set_xticks(positions, [str(v) for v in x])
        axis.set_xlabel(xlabel)
        axis.set_ylabel(measure)
    figure.suptitle(title)
    data = {"x": x, **{m: {"mean": [e[f"{m}_mean"] for e in summary],
                           "err": [e[f"{m}_err"] for e in summary]} for m in measures}}
    return save_figure(figure, path, data)


def plot_accuracy_vs(rows: list[dict[str, Any]], measure: str, path: str | Path,
                     title: str) -> Path:
    """rank-1 of every run against its mAC or CF, with their Pearson correlation (Fig. 4, 5)."""
    x = np.array([row[measure] for row in rows], dtype=float)
    y = np.array([row[RANK1.key] for row in rows], dtype=float)
    pearson = float(np.corrcoef(x, y)[0, 1]) if len(rows) > 2 and x.std() and y.std() else None
    figure = Figure(figsize=(5, 4))
    axis = figure.add_subplot()
    axis.scatter(x, y)
    if pearson is not None:
        slope, intercept = np.polyfit(x, y, 1)
        line = np.linspace(x.min(), x.max(), 2)
        axis.plot(line, slope * line + intercept, "k--", linewidth=1)
    axis.set_xlabel(measure)
    axis.set_ylabel(RANK1.label)
    label = "n/a" if pearson is None else f"{pearson:+.3f}"
    axis.set_title(f"{title} (Pearson r = {label})")
    return save_figure(figure, path, {measure: x.tolist(), RANK1.key: y.tolist(),
                                      "pearson": pearson})


def plot_over_epochs(rows: list[dict[str, Any]], field: str, path: str | Path,
                     title: str) -> Path:
    """Validation mAC (left) and CF (right) per epoch, one line per swept value (Fig. 7)."""
    figure = Figure(figsize=(7, 4))
    mac_axis = figure.add_subplot(1, 2, 1)
    cf_axis = figure.add_subplot(1, 2, 2)
    data: dict[str, Any] = {}
    mac_key, cf_key = f"val_{MAC.key}", f"val_{CF.key}"
    for row in rows:
        if row["fold"] != 0 or mac_key not in row["history"]:
            continue
        label = f"{field}={row['variant'][field]}"
        mac, cf = row["history"][mac_key], row["history"][cf_key]
        epochs = list(range(1, len(mac) + 1))
        mac_axis.plot(epochs, mac, label=label)
        cf_axis.plot(epochs, cf, label=label)
        data[label] = {mac_key: mac, cf_key: cf}
    for axis, name in ((mac_axis, f"validation {MAC.label}"), (cf_axis, f"validation {CF.label}")):
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
    mac_axis.legend(fontsize=7)
    figure.suptitle(title)
    return save_figure(figure, path, data)

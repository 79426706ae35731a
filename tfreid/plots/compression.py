"""mAP against bytes per stored embedding, one line per method and precision (paper 001)."""

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from tfreid.metrics.measures import MAP
from tfreid.plots.common import save_figure


def plot_map_vs_bytes(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """Lines of mAP vs bytes / embedding (log scale); the baseline as a dashed level."""
    figure = Figure(figsize=(6.4, 4.4))
    axis = figure.add_subplot(1, 1, 1)
    base = next(r for r in rows if r["method"] == "baseline" and r["precision"] == "float32")
    axis.axhline(base[MAP.key], color="grey", linestyle="--", label="baseline float32")
    axis.axhline(0.96 * base[MAP.key], color="grey", linestyle=":", label="-4 % mAP")
    lines = {}
    for row in rows:
        if row["method"] != "baseline":
            lines.setdefault(f"{row['method']} {row['precision']}", []).append(row)
    data = {"baseline_mAP": base[MAP.key], "lines": {}}
    methods = list(dict.fromkeys(label.split()[0] for label in lines))
    styles = {"float32": ("-", "o"), "int8": ("--", "s"), "int8-qat": (":", "^")}
    for label, points in lines.items():
        method, precision = label.split()
        points = sorted(points, key=lambda r: r["bytes_per_embedding"])
        x, y = [p["bytes_per_embedding"] for p in points], [p[MAP.key] for p in points]
        linestyle, marker = styles.get(precision, ("-", "o"))
        axis.plot(x, y, color=f"C{methods.index(method)}", linestyle=linestyle, marker=marker,
                  label=label)
        data["lines"][label] = {"bytes_per_embedding": x, MAP.key: y}
    axis.set_xscale("log", base=2)
    axis.set_xlabel("bytes per stored embedding")
    axis.set_ylabel("mAP (held-out identities)")
    axis.legend(fontsize=7)
    return save_figure(figure, path, data)

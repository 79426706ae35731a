"""A finished sweep's outputs: summary (JSON, Markdown) and paper 000's figures."""

import json
from pathlib import Path
from typing import Any

from tfreid.experiments.aggregate import markdown_table, summarize
from tfreid.experiments.studies import Study
from tfreid.metrics.measures import CF, MAC
from tfreid.plots import plot_accuracy_vs, plot_measure_vs_setting, plot_over_epochs
from tfreid.training.config import RunConfig


def _setting_axis(study: Study, base: dict[str, Any]):
    """(x label, transform) of the swept field; downscale is shown as pixels seen."""
    if study.field == "downscale":
        size = base.get("image_size", RunConfig().image_size)
        return "input resolution (px)", lambda factor: round(size / factor)
    return study.field, None


def _ordered(summary: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Numeric settings in increasing order; others (activations) as they were run."""
    if all(isinstance(entry["variant"][field], int | float) for entry in summary):
        return sorted(summary, key=lambda entry: entry["variant"][field])
    return summary


def write_sweep_report(study: Study, rows: list[dict[str, Any]], out_dir: str | Path,
                       base: dict[str, Any]) -> dict[str, Path]:
    """Write summary.json, summary.md and the figures into ``out_dir``; their paths."""
    out_dir = Path(out_dir)
    summary = _ordered(summarize(rows), study.field)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    table = markdown_table(summary, study.field)
    (out_dir / "summary.md").write_text(f"# {study.name}: {study.figure}\n\n{table}")
    label, transform = _setting_axis(study, base)
    paths = {
        "summary": out_dir / "summary.md",
        "study": plot_measure_vs_setting(summary, study.field, study.measures,
                                         out_dir / f"{study.name}.png", label, study.figure,
                                         transform, study.log_x),
        "accuracy_vs_mac": plot_accuracy_vs(rows, MAC.key, out_dir / "fig4_rank1_vs_mac.png",
                                            "fig4: rank-1 vs mAC"),
        "accuracy_vs_cf": plot_accuracy_vs(rows, CF.key, out_dir / "fig5_rank1_vs_cf.png",
                                           "fig5: rank-1 vs CF"),
        "over_epochs": plot_over_epochs(rows, study.field, out_dir / "fig7_mac_cf_epochs.png",
                                        "fig7: mAC and CF over epochs (fold 0)"),
    }
    return paths

"""The recipe study's table (mean and spread over seeds) and what each trick did."""

from pathlib import Path
from typing import Any

import numpy as np

from tfreid.experiments.recipe_study import MEASURES
from tfreid.io.atomic import write_json, write_text

# the measures each data set's table shows: re-id protocol on the surfaces, retrieval on
# Fashion-MNIST's held-out classes (MAP@R, Musgrave et al. 2020)
SHOWN = {"surfaces": ("rank1", "mAP", "minp"), "surfaces-wide": ("rank1", "mAP", "minp"),
         "fashion-mnist": ("map_at_r", "mAP", "rank1")}
LABELS = {"rank1": "rank-1", "mAP": "mAP", "minp": "mINP", "map_at_r": "MAP@R"}
# (ablated row, what it lacks) against the full recipe
ABLATIONS = (("BoT - BNNeck", "BNNeck"), ("BoT - random erasing", "random erasing"),
             ("BoT - warm-up", "warm-up"), ("BoT - flip, pad-and-crop", "flip, pad-and-crop"),
             ("identity only", "the triplet loss"), ("BoT, soft margin", "margin 0.3 (soft)"),
             ("softmax+triplet", "all the tricks"))


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (data set, row), data sets and rows in their first rows' order: mean
    and std over seeds."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["row"]), []).append(row)
    entries = []
    for (dataset, name), members in groups.items():
        entry = {"dataset": dataset, "row": name, "seeds": len(members)}
        for measure in (*MEASURES, "seconds_per_epoch", "best_epoch"):
            values = [m[measure] for m in members if m.get(measure) is not None]
            entry[measure] = float(np.mean(values)) if values else None
            entry[f"{measure}_std"] = float(np.std(values)) if values else None
        entries.append(entry)
    datasets = list(dict.fromkeys(row["dataset"] for row in rows))
    return sorted(entries, key=lambda e: datasets.index(e["dataset"]))


def _cell(entry: dict, measure: str) -> str:
    value = entry[measure]
    if value is None:
        return ""
    return f"{value:.3f}" + (f" ± {entry[f'{measure}_std']:.3f}" if entry["seeds"] > 1 else "")


def markdown_tables(entries: list[dict[str, Any]]) -> str:
    """One table per data set: its measures, seeds, best epoch and seconds per epoch."""
    parts = []
    for dataset in dict.fromkeys(e["dataset"] for e in entries):
        shown = SHOWN[dataset]
        lines = [f"**{dataset}**", "",
                 "| row | " + " | ".join(LABELS[m] for m in shown)
                 + " | seeds | best epoch | s / epoch |", "|---" * (len(shown) + 4) + "|"]
        for entry in (e for e in entries if e["dataset"] == dataset):
            cells = " | ".join(_cell(entry, m) for m in shown)
            lines.append(f"| {entry['row']} | {cells} | {entry['seeds']} | "
                         f"{entry['best_epoch']:.1f} | {entry['seconds_per_epoch']:.2f} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _entry(entries, dataset: str, row: str) -> dict | None:
    return next((e for e in entries if (e["dataset"], e["row"]) == (dataset, row)), None)


def _compare(full: dict, other: dict, measure: str, floor: float) -> str:
    """``full`` against ``other`` on ``measure``: the difference and whether it exceeds the
    seed spread, the larger of the two rows' and ``floor`` (the largest of the data set's
    rows run at several seeds, for rows run once)."""
    difference = full[measure] - other[measure]
    spread = max(full[f"{measure}_std"] or 0.0, other[f"{measure}_std"] or 0.0, floor)
    if spread == 0.0:
        return f"{difference:+.3f} (one seed: no spread to judge by)"
    verdict = "helps" if difference > spread else "hurts" if -difference > spread else \
        "within the seed spread"
    return f"{difference:+.3f} ({verdict})"


def _seed_spread(entries: list[dict], dataset: str, measure: str) -> float:
    return max((e[f"{measure}_std"] for e in entries
                if e["dataset"] == dataset and e["seeds"] > 1), default=0.0)


def findings(entries: list[dict[str, Any]]) -> list[str]:
    """Per data set: what each trick adds to the full recipe (mAP), the best row, and the
    full recipe against the quickstart."""
    lines = []
    for dataset in dict.fromkeys(e["dataset"] for e in entries):
        full = _entry(entries, dataset, "BoT")
        if full is None:
            continue
        floor = _seed_spread(entries, dataset, "mAP")
        effects = [f"{lacking} {_compare(full, other, 'mAP', floor)}"
                   for row, lacking in ABLATIONS
                   if (other := _entry(entries, dataset, row)) is not None]
        lines.append(f"{dataset}, mAP of BoT minus the row without: " + "; ".join(effects))
        own = [e for e in entries if e["dataset"] == dataset]
        best = max(own, key=lambda e: e["mAP"])
        quick = _entry(entries, dataset, "quickstart")
        if quick is not None:
            lines.append(f"{dataset}: best row {best['row']} (mAP {best['mAP']:.3f}); BoT "
                         f"against the quickstart {_compare(full, quick, 'mAP', floor)}")
    return lines


def write_report(rows: list[dict[str, Any]], out: Path) -> dict[str, Path]:
    """results.md (tables and findings) and results.json in ``out``."""
    entries = summarize(rows)
    paths = {"table": out / "results.md", "json": out / "results.json"}
    write_text(paths["table"], markdown_tables(entries) + "\n" + "\n".join(
        f"- {line}" for line in findings(entries)) + "\n")
    write_json(paths["json"], {"rows": rows, "summary": entries})
    return paths

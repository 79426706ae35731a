"""Fold statistics of a sweep: mean and std / sqrt(folds), as paper 000 reports."""

import json
from typing import Any

import numpy as np

MEASURES = ("rank1", "mAP", "mAC", "CF", "epochs", "seconds")


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per variant: ``<measure>_mean`` and ``<measure>_err`` over its folds.

    err = std / sqrt(folds) (population std over folds; paper 000, section III-C).
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(json.dumps(row["variant"], sort_keys=True), []).append(row)
    summary = []
    for rows_of_variant in groups.values():
        entry = {"variant": rows_of_variant[0]["variant"], "folds": len(rows_of_variant)}
        for measure in MEASURES:
            values = np.array([row[measure] for row in rows_of_variant], dtype=float)
            entry[f"{measure}_mean"] = float(values.mean())
            entry[f"{measure}_err"] = float(values.std() / np.sqrt(len(values)))
        summary.append(entry)
    return summary


def markdown_table(summary: list[dict[str, Any]], field: str) -> str:
    """The summary as a Markdown table, one row per value of ``field``."""
    lines = [f"| {field} | folds | rank-1 | mAP | mAC | CF | epochs |", "|---" * 7 + "|"]
    for entry in summary:
        cells = [f"{entry[f'{m}_mean']:.3f} ± {entry[f'{m}_err']:.3f}"
                 for m in ("rank1", "mAP", "mAC")]
        lines.append(f"| {entry['variant'][field]} | {entry['folds']} | " + " | ".join(cells)
                     + f" | {entry['CF_mean']:.1f} ± {entry['CF_err']:.1f}"
                     f" | {entry['epochs_mean']:.1f} |")
    return "\n".join(lines) + "\n"

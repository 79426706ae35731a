"""Fold statistics of a sweep: mean and std / sqrt(folds), as paper 000 reports."""

import json
from typing import Any

import numpy as np

from tfreid.metrics.measure import SWEEP, measures

RUN_FACTS = ("epochs", "seconds")  # what a sweep row holds besides its measures


def summarized() -> tuple[str, ...]:
    """What ``summarize`` averages: the sweep measures (``sweep`` place), then RUN_FACTS."""
    return (*(m.key for m in measures(SWEEP)), *RUN_FACTS)


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per variant: ``<measure>_mean`` and ``<measure>_err`` over its folds.

    err = std / sqrt(folds) (population std over folds; paper 000, section III-C). A
    measure that rows of an older tfreid lack is averaged over the rows that have it, and
    left out where none has.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(json.dumps(row["variant"], sort_keys=True), []).append(row)
    summary = []
    for rows_of_variant in groups.values():
        entry = {"variant": rows_of_variant[0]["variant"], "folds": len(rows_of_variant)}
        for measure in summarized():
            values = np.array([row[measure] for row in rows_of_variant if measure in row],
                              dtype=float)
            if not len(values):
                continue
            entry[f"{measure}_mean"] = float(values.mean())
            entry[f"{measure}_err"] = float(values.std() / np.sqrt(len(values)))
        summary.append(entry)
    return summary


def _cell(entry: dict[str, Any], key: str, places: str) -> str:
    if f"{key}_mean" not in entry:
        return ""
    return f"{entry[f'{key}_mean']:{places}} ± {entry[f'{key}_err']:{places}}"


def markdown_table(summary: list[dict[str, Any]], field: str) -> str:
    """The summary as a Markdown table, one row per value of ``field``: the sweep measures
    (counts such as CF to one decimal), then the mean epochs."""
    shown = measures(SWEEP)
    head = " | ".join(m.label for m in shown)
    lines = [f"| {field} | folds | {head} | epochs |", "|---" * (3 + len(shown)) + "|"]
    for entry in summary:
        cells = [_cell(entry, m.key, ".1f" if m.is_count() else ".3f") for m in shown]
        lines.append(f"| {entry['variant'][field]} | {entry['folds']} | " + " | ".join(cells)
                     + f" | {entry['epochs_mean']:.1f} |")
    return "\n".join(lines) + "\n"

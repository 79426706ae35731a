"""The self-supervised study's table (mean and spread over seeds), figure and the thesis'
findings checked on these rows."""

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tfreid.experiments.self_supervised_study import MEASURES
from tfreid.io.atomic import write_json, write_text
from tfreid.metrics.measures import (
    MAP,
    MAP_EASY,
    MAP_HARD,
    MAP_MEDIUM,
    NMI,
    RECALL_AT_1,
    RECALL_AT_2,
    RECALL_AT_4,
    RECALL_AT_8,
)
from tfreid.plots.common import save_figure

# (heading, key): the registered measures' labels, then the training speed
COLUMNS = (*((m.label, m.key) for m in (RECALL_AT_1, RECALL_AT_2, RECALL_AT_4, RECALL_AT_8,
                                         NMI, MAP, MAP_EASY, MAP_MEDIUM, MAP_HARD)),
           ("s / epoch", "seconds_per_epoch"))


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (dataset, method, start): mean and std over seeds of every measure."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["method"], row["start"]), []).append(row)
    entries = []
    for (dataset, method, start), members in groups.items():
        entry = {"dataset": dataset, "method": method, "start": start, "seeds": len(members)}
        for measure in (*MEASURES, "seconds_per_epoch"):
            values = [m[measure] for m in members if m.get(measure) is not None]
            entry[measure] = float(np.mean(values)) if values else None
            entry[f"{measure}_std"] = float(np.std(values)) if values else None
        entries.append(entry)
    return entries


def _cell(entry: dict, measure: str) -> str:
    value = entry[measure]
    if value is None:
        return ""
    spread = entry[f"{measure}_std"]
    return f"{value:.3f}" + (f" ± {spread:.3f}" if entry["seeds"] > 1 else "")


def markdown_table(entries: list[dict[str, Any]]) -> str:
    lines = ["| data set | method | start | " + " | ".join(c for c, _ in COLUMNS) + " |",
             "|---" * (3 + len(COLUMNS)) + "|"]
    for entry in entries:
        cells = " | ".join(_cell(entry, measure) for _, measure in COLUMNS)
        lines.append(f"| {entry['dataset']} | {entry['method']} | {entry['start']} | {cells} |")
    return "\n".join(lines) + "\n"


def _value(entries, dataset, method, start, measure="recall_at_1"):
    for entry in entries:
        if (entry["dataset"], entry["method"], entry["start"]) == (dataset, method, start):
            return entry[measure]
    return None


def _ahead(entries, first: tuple, second: tuple, measure: str) -> str:
    """Whether ``first`` beats ``second`` by more than the larger of their seed spreads."""
    a, b = _value(entries, *first, measure), _value(entries, *second, measure)
    spread = max(_value(entries, *first, f"{measure}_std") or 0.0,
                 _value(entries, *second, f"{measure}_std") or 0.0)
    if a - b > spread:
        return "ahead"
    return "behind" if b - a > spread else "within the seed spread"


def findings(entries: list[dict[str, Any]]) -> list[str]:
    """The thesis' claims, each as what these rows show."""
    lines = []
    for dataset in dict.fromkeys(e["dataset"] for e in entries):
        floor = _value(entries, dataset, "untrained", "-", MAP.key)
        gains = {m: _value(entries, dataset, m, "scratch", MAP.key) for m in ("spreading",
                                                                             "insclr", "stml")}
        shown = ", ".join(f"{m} {v:.3f}" for m, v in gains.items() if v is not None)
        if floor is not None and shown:
            trained = [m for m, v in gains.items() if v is not None and v > 1.1 * floor]
            lines.append(f"{dataset}, from scratch: mAP {shown} against {floor:.3f} untrained; "
                         f"more than 10 % above it: {', '.join(trained) or 'none'}")
        stml, spreading = (_value(entries, dataset, m, "pretrained", MAP.key)
                           for m in ("stml", "spreading"))
        if stml is not None and spreading is not None:
            verdict = _ahead(entries, (dataset, "stml", "pretrained"),
                             (dataset, "spreading", "pretrained"), MAP.key)
            lines.append(f"{dataset}, pre-trained start: STML mAP {stml:.3f} vs Spreading "
                         f"{spreading:.3f} (STML {verdict})")
    four = _value(entries, "surfaces-wide", "insclr", "pretrained", MAP_MEDIUM.key)
    three = _value(entries, "surfaces-wide", "insclr-3-cycles", "pretrained", MAP_MEDIUM.key)
    if four is not None and three is not None:
        verdict = _ahead(entries, ("surfaces-wide", "insclr", "pretrained"),
                         ("surfaces-wide", "insclr-3-cycles", "pretrained"), MAP_MEDIUM.key)
        lines.append(f"InsCLR on the wide surfaces, mAP M: 4 cycles {four:.3f} vs 3 cycles "
                     f"{three:.3f} (the hard-negative 4th cycle {verdict})")
    speeds = {}
    for entry in entries:
        if entry["method"] in ("spreading", "insclr", "stml") and entry["seconds_per_epoch"]:
            speeds.setdefault(entry["method"], []).append(entry["seconds_per_epoch"])
    if speeds:
        ranked = sorted(speeds, key=lambda m: np.mean(speeds[m]))
        lines.append("seconds per epoch, mean over data sets: " + ", ".join(
            f"{m} {np.mean(speeds[m]):.2f}" for m in ranked) + f" (cheapest: {ranked[0]})")
    return lines


def plot_recall(entries: list[dict[str, Any]], path: Path) -> Path:
    """R@1 of every scenario, one panel per data set."""
    datasets = list(dict.fromkeys(e["dataset"] for e in entries))
    figure = Figure(figsize=(4.2 * len(datasets), 4))
    data = {}
    for panel, dataset in enumerate(datasets, start=1):
        own = [e for e in entries if e["dataset"] == dataset]
        axis = figure.add_subplot(1, len(datasets), panel)
        labels = [f"{e['method']}\n{e['start']}" for e in own]
        axis.bar(range(len(own)), [e["recall_at_1"] for e in own],
                 yerr=[e["recall_at_1_std"] or 0 for e in own], capsize=2)
        axis.set_xticks(range(len(own)), labels, rotation=70, fontsize=7)
        axis.set_title(dataset)
        axis.set_ylabel("R@1 (held-out)")
        data[dataset] = dict(zip(labels, [e["recall_at_1"] for e in own], strict=True))
    return save_figure(figure, path, data)


def write_report(rows: list[dict[str, Any]], out: Path) -> dict[str, Path]:
    """results.md (table and findings), results.json and recall_at_1.png in ``out``."""
    entries = summarize(rows)
    paths = {"table": out / "results.md", "json": out / "results.json"}
    write_text(paths["table"], markdown_table(entries) + "\n" + "\n".join(
        f"- {line}" for line in findings(entries)) + "\n")
    write_json(paths["json"], {"rows": rows, "summary": entries})
    paths["figure"] = plot_recall(entries, out / "recall_at_1.png")
    return paths

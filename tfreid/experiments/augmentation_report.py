"""Report of paper 002's study: a table like its Fig. 14 and t-SNE grids like Figs. 10-13."""

from pathlib import Path
from typing import Any

import numpy as np

from tfreid.io.atomic import write_json
from tfreid.plots.confusion import plot_confusion
from tfreid.plots.tsne import plot_tsne_grid

TABLE_COLUMNS = ("accuracy", "top3_accuracy", "knn_accuracy", "recall_at_1", "nmi")


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """One line per scenario: data set, transform, network, settings, time and the scores."""
    header = ("| No | Data set | Transform | Network | Epochs | Batch | Train images | Time (s) "
              "| Accuracy | Top-3 | kNN (k=30) | Recall@1 | NMI |")
    lines = [header, "|---" * 13 + "|"]
    for number, row in enumerate(rows, start=1):
        scores = " | ".join(f"{row[c]:.3f}" for c in TABLE_COLUMNS)
        lines.append(f"| {number} | {row['dataset']} | {row['augment']} | {row['training']} | "
                     f"{row['epochs']} | {row['batch_size']} | {row['train_images']} | "
                     f"{row['train_seconds']:.0f} | {scores} |")
    return "\n".join(lines) + "\n"


def write_study_report(rows: list[dict[str, Any]], out_dir: Path,
                       class_names: dict[str, dict[int, str]] | None = None) -> dict[str, Path]:
    """results.md, results.json (no t-SNE points), and per data set ``tsne-<dataset>.png`` and
    ``confusion-<dataset>.png`` (the probe of its most accurate scenario)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"table": out_dir / "results.md", "json": out_dir / "results.json"}
    paths["table"].write_text(markdown_table(rows))
    write_json(paths["json"], {"rows": [{k: v for k, v in row.items() if k not in ("tsne", "key")}
                                        for row in rows]})
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        own = sorted((r for r in rows if r["dataset"] == dataset), key=lambda r: r["training"])
        panels = [{"title": f"{dataset}: {row['training']} / {row['augment']}",
                   "points": np.asarray(row["tsne"]["points"]),
                   "labels": np.asarray(row["tsne"]["labels"])} for row in own]
        paths[f"tsne-{dataset}"] = plot_tsne_grid(
            panels, out_dir / f"tsne-{dataset}.png", columns=len({r["augment"] for r in own}),
            class_names=(class_names or {}).get(dataset))
        best = max(own, key=lambda r: r["accuracy"])
        names = [(class_names or {}).get(dataset, {}).get(int(c), str(c)) for c in best["classes"]]
        paths[f"confusion-{dataset}"] = plot_confusion(
            best["confusion"], names, f"{dataset}: {best['training']} / {best['augment']}, "
            f"probe accuracy {best['accuracy']:.3f}", out_dir / f"confusion-{dataset}.png")
    return paths

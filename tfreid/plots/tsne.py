"""t-SNE maps of embeddings coloured by class (paper 002, section 5.4 and Figs. 10-13)."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from tfreid.plots.common import save_figure

TSNE_POINTS = 1000


def tsne_map(embeddings: np.ndarray, labels: np.ndarray, points: int = TSNE_POINTS,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-d t-SNE coordinates of a seeded sample of ``points`` embeddings, and their labels."""
    from sklearn.manifold import TSNE

    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.permutation(len(embeddings))[:points])
    perplexity = min(30.0, (len(chosen) - 1) / 3.0)
    coordinates = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(
        np.asarray(embeddings, np.float64)[chosen])
    return coordinates, np.asarray(labels)[chosen]


def plot_tsne_grid(panels: list[dict], path: str | Path, columns: int = 3,
                   class_names: dict[int, str] | None = None) -> Path:
    """One scatter panel per ``{"title", "points" (N, 2), "labels" (N,)}``, colour = class."""
    rows = -(-len(panels) // columns)
    figure = Figure(figsize=(3.4 * columns, 3.4 * rows))
    for index, panel in enumerate(panels, start=1):
        axis = figure.add_subplot(rows, columns, index)
        scatter = axis.scatter(panel["points"][:, 0], panel["points"][:, 1], c=panel["labels"],
                               cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
        axis.set_title(panel["title"], fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
    classes = sorted({int(c) for panel in panels for c in panel["labels"]})
    handles = [Line2D([], [], marker="o", linestyle="", color=scatter.cmap(scatter.norm(c)))
               for c in classes]
    names = [(class_names or {}).get(c, str(c)) for c in classes]
    figure.legend(handles, names, loc="lower center", ncol=min(5, len(classes)), fontsize=8)
    data = {"panels": [{"title": p["title"], "points": np.asarray(p["points"]).tolist(),
                        "labels": np.asarray(p["labels"]).tolist()} for p in panels]}
    return save_figure(figure, path, data)

"""The correlation graph of paper 000, Fig. 3: features as nodes, strong correlations as edges."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from tfreid.metrics import feature_correlation_matrix
from tfreid.plots.common import save_figure


def correlation_edges(embeddings: np.ndarray, threshold: float = 0.75) -> np.ndarray:
    """(E, 2) feature pairs mu < nu with |corr| > threshold."""
    corr = np.abs(feature_correlation_matrix(embeddings))
    mu, nu = np.nonzero(np.triu(corr > threshold, k=1))
    return np.stack([mu, nu], axis=1)


def connected_share(embeddings: np.ndarray, threshold: float = 0.75) -> float:
    """Share of features with at least one edge (paper 000: 89 % at 256 px, dataset B)."""
    edges = correlation_edges(embeddings, threshold)
    return len(np.unique(edges)) / embeddings.shape[1]


def plot_correlation_graph(embeddings: np.ndarray, path: str | Path,
                           threshold: float = 0.75) -> Path:
    """Features on a circle, an edge where |corr| > ``threshold``; PNG + JSON."""
    dims = embeddings.shape[1]
    edges = correlation_edges(embeddings, threshold)
    share = connected_share(embeddings, threshold)
    angle = 2 * np.pi * np.arange(dims) / dims
    x, y = np.cos(angle), np.sin(angle)
    figure = Figure(figsize=(5, 5))
    axis = figure.add_subplot()
    alpha = max(0.03, min(0.4, 40.0 / max(1, len(edges))))  # dense graphs stay readable
    for mu, nu in edges:
        axis.plot([x[mu], x[nu]], [y[mu], y[nu]], color="tab:red", alpha=alpha, linewidth=0.8)
    connected = np.isin(np.arange(dims), edges)
    axis.scatter(x[~connected], y[~connected], s=12, color="tab:gray")
    axis.scatter(x[connected], y[connected], s=12, color="tab:red")
    axis.set_aspect("equal")
    axis.axis("off")
    axis.set_title(f"|corr| > {threshold}: {len(edges)} edges, "
                   f"{share:.0%} of {dims} features connected")
    return save_figure(figure, path, {"threshold": threshold, "edges": edges.tolist(),
                                      "connected_share": share, "features": dims})

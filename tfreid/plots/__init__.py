"""Figures (matplotlib PNGs with their data as JSON beside them)."""

from tfreid.plots.correlation_graph import (
    connected_share,
    correlation_edges,
    plot_correlation_graph,
)
from tfreid.plots.sweeps import plot_accuracy_vs, plot_measure_vs_setting, plot_over_epochs

__all__ = ["connected_share", "correlation_edges", "plot_accuracy_vs",
           "plot_correlation_graph", "plot_measure_vs_setting", "plot_over_epochs"]

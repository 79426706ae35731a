"""Keras callbacks: correlation / ranking monitor, TensorBoard pair images."""

from tfreid.callbacks.correlation_monitor import CorrelationMonitor
from tfreid.callbacks.pair_images import PairImages

__all__ = ["CorrelationMonitor", "PairImages"]

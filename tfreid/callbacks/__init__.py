"""Keras callbacks: correlation / ranking monitor, best-epoch checkpoint with early stopping,
resume after a kill, a one-line-per-epoch log, the learning rate in the logs, TensorBoard
pair images, augmented training images and embedding projector."""

from tfreid.callbacks.augmented_images import AugmentedImages
from tfreid.callbacks.best_checkpoint import BestModelCheckpoint
from tfreid.callbacks.correlation_monitor import CorrelationMonitor
from tfreid.callbacks.epoch_logger import EpochLogger
from tfreid.callbacks.learning_rate import LearningRateLogger
from tfreid.callbacks.pair_images import PairImages
from tfreid.callbacks.projector import EmbeddingProjector
from tfreid.callbacks.resume import ResumeTraining

__all__ = ["AugmentedImages", "BestModelCheckpoint", "CorrelationMonitor",
           "EmbeddingProjector", "EpochLogger", "LearningRateLogger", "PairImages",
           "ResumeTraining"]

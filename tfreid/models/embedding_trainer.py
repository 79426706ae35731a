"""The trainer's old home: it lives in ``tfreid.nn.embedding_trainer`` (below both losses
and models); this name keeps ``from tfreid.models.embedding_trainer import ...`` working."""

from tfreid.nn.embedding_trainer import EmbeddingTrainer, attach_state

__all__ = ["EmbeddingTrainer", "attach_state"]

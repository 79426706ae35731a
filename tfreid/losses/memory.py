"""Cross-batch memory (XBM; Wang et al., CVPR 2020): past embeddings as extra keys.

``CrossBatchMemory(loss, embedding_dim, memory_size)`` wraps any batch loss:
each batch's queries are compared with the batch itself and with up to
``memory_size`` embeddings (and labels) of earlier batches, held without
gradient in a ``MemoryBank``; then the batch is written into the bank, the
oldest rows first out. As ProxyNCA's proxies, the bank is a layer of the
trained model (``attach``), so it is checkpointed and resumes with the run.

Example::

    from tfreid.losses import CrossBatchMemory, MultiSimilarityLoss

    loss = CrossBatchMemory(MultiSimilarityLoss(), embedding_dim=16, memory_size=64)
    model = loss.attach(encoder)          # the memory bank saves and resumes with the model
    model.compile("adam", loss=loss)
    model.fit(images, labels, epochs=1, verbose=0)
"""

from typing import Any

from tfreid.backend import keras, serializable, tf
from tfreid.errors import ConfigError
from tfreid.losses.loss import Loss
from tfreid.losses.metric_loss import MetricLoss, require_arguments


@serializable
class MemoryBank(keras.layers.Layer):
    """A first-in first-out store of (embedding, label) rows, without gradient.

    ``count`` rows are valid (at most ``size``); ``position`` is where the next
    row goes. Rows are overwritten in place (no momentum). Under a
    ``tf.distribute`` strategy every replica enqueues the same gathered global
    batch and the variables take the first replica's write
    (``ONLY_FIRST_REPLICA``), so the copies stay equal.
    """

    def __init__(self, size: int, embedding_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        if size < 1 or embedding_dim < 1:
            raise ConfigError(f"a memory bank needs >= 1 row of >= 1 dims, got {size} x "
                              f"{embedding_dim}")
        self.size, self.embedding_dim = int(size), int(embedding_dim)
        state = {"initializer": "zeros", "trainable": False,
                 "aggregation": tf.VariableAggregation.ONLY_FIRST_REPLICA}
        self.embeddings = self.add_weight(name="embeddings", shape=(size, embedding_dim),
                                          dtype=tf.float32, **state)
        self.labels = self.add_weight(name="labels", shape=(size,), dtype=tf.int64, **state)
        self.count = self.add_weight(name="count", shape=(), dtype=tf.int64, **state)
        self.position = self.add_weight(name="position", shape=(), dtype=tf.int64, **state)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return inputs

    def valid(self) -> tf.Tensor:
        """(size,) mask of the rows written so far."""
        return tf.range(self.size, dtype=tf.int64) < self.count

    def enqueue(self, embeddings: tf.Tensor, labels: tf.Tensor) -> None:
        """Write the rows (the last ``size`` of them if there are more) after the newest."""
        embeddings = tf.stop_gradient(tf.cast(embeddings, self.embeddings.dtype))[-self.size:]
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int64)[-self.size:]
        rows = tf.shape(labels, out_type=tf.int64)[0]
        slots = ((self.position + tf.range(rows, dtype=tf.int64)) % self.size)[:, None]
        # assign, not scatter_nd_update: mirrored variables take only whole assignments
        self.embeddings.assign(tf.tensor_scatter_nd_update(self.embeddings, slots, embeddings))
        self.labels.assign(tf.tensor_scatter_nd_update(self.labels, slots, labels))
        self.position.assign((self.position + rows) % self.size)
        self.count.assign(tf.minimum(self.count + rows, self.size))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "embedding_dim": self.embedding_dim}


@serializable
class CrossBatchMemory(Loss):
    """Any batch loss, with the memory's rows as extra keys (module docstring)."""

    def __init__(self, loss: MetricLoss | dict | None = None, embedding_dim: int | None = None,
                 memory_size: int = 1024, name: str = "cross_batch_memory", **kwargs: Any):
        # a wrapper: the loss it wraps has no default (one line, not a bare TypeError)
        require_arguments("CrossBatchMemory(MultiSimilarityLoss(), embedding_dim=..., "
                          "memory_size=...) (a wrapper: pass the batch loss it wraps)",
                          loss=loss, embedding_dim=embedding_dim)
        super().__init__(name=name, **kwargs)
        self.loss = keras.saving.deserialize_keras_object(loss) if isinstance(loss, dict) \
            else loss
        if not isinstance(self.loss, MetricLoss) or not getattr(self.loss, "uses_keys", True):
            raise ConfigError(f"CrossBatchMemory wraps a batch loss that compares queries with "
                              f"keys, not {type(self.loss).__name__}")
        self.embedding_dim, self.memory_size = int(embedding_dim), int(memory_size)
        self.bank = MemoryBank(memory_size, embedding_dim, name="memory_bank")
        self.attached = False

    def attach(self, model: keras.Model) -> keras.Model:
        """The model to train: ``model`` with the memory bank tracked (an ``EmbeddingTrainer``)."""
        from tfreid.nn.embedding_trainer import attach_state

        trainer, self.bank = attach_state(model, self.bank)
        self.attached = True
        return trainer

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        if not self.attached:
            raise ConfigError("CrossBatchMemory: call loss.attach(model) and train the model it "
                              "returns, so the memory is saved and resumed with it")
        labels = tf.reshape(tf.convert_to_tensor(y_true), [-1])
        embeddings = tf.cast(y_pred, tf.float32)
        batch = self.loss.batch_of(labels, embeddings)
        losses = self.loss.anchor_losses(batch.with_extra_keys(
            self.bank.labels, tf.stop_gradient(self.bank.embeddings), self.bank.valid()))
        with tf.control_dependencies([losses]):
            self.bank.enqueue(batch.keys, batch.key_labels)
        return losses

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "loss": keras.saving.serialize_keras_object(self.loss),
                "embedding_dim": self.embedding_dim, "memory_size": self.memory_size}

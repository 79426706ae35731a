"""The training input that ``fit`` gets: one stream, or under a multi-worker strategy one
pipeline per worker that reads only that worker's rows of every global batch."""

from collections.abc import Callable
from typing import Any

from tfreid.backend import tf
from tfreid.data.input_shard import input_shard
from tfreid.data.pipeline_options import steady_stream


def _replica_parts(local_replicas: int) -> Callable[..., tf.data.Dataset]:
    """A worker's batch -> ``local_replicas`` consecutive elements, one per local replica."""
    def split(*element: Any) -> tf.data.Dataset:
        structure = element if len(element) > 1 else element[0]
        return tf.data.Dataset.from_tensor_slices(tf.nest.map_structure(
            lambda t: tf.reshape(t, tf.concat([[local_replicas, -1], tf.shape(t)[1:]], 0)),
            structure))

    return split


def training_input(train_data: Callable[[int], tf.data.Dataset], start_step: int) -> Any:
    """``train_data(start_step)`` for ``fit`` under the current strategy.

    Under ``MultiWorkerMirroredStrategy`` each worker builds the stream inside
    ``input_shard`` (``tfreid.data.input_shard``): it draws every global batch's
    indices, reads and augments only its own rows, and hands its local replicas
    consecutive parts of them, in place of Keras' DATA autosharding, with which
    every worker reads and augments the whole global batch and keeps 1/N of it.
    """
    strategy = tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return steady_stream(train_data(start_step))

    def per_worker(context: tf.distribute.InputContext) -> tf.data.Dataset:
        with input_shard(context.input_pipeline_id, context.num_input_pipelines):
            dataset = steady_stream(train_data(start_step))
        local = context.num_replicas_in_sync // context.num_input_pipelines
        return dataset if local == 1 else dataset.flat_map(_replica_parts(local))

    return strategy.distribute_datasets_from_function(per_worker)

"""Which rows of each global batch this input pipeline reads (one worker's part).

Under a multi-worker strategy every worker draws the same global batch of
*indices* (the samplers are seeded by the run's seed and the step, not by the
worker) and reads, decodes and augments only its own contiguous rows of it:
worker w of n takes rows [w * B / n, (w + 1) * B / n). So no image is read or
augmented twice across the cluster, and the workers' rows together are the
single-device batch, which keeps a multi-worker run equal to one device.
Sharding by TFRecord file would break both: P x K batches draw identities from
every shard, and a worker's files would decide its identities.
"""

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from tfreid.backend import tf
from tfreid.errors import ConfigError

_SHARD: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "tfreid_input_shard", default=None)


@contextlib.contextmanager
def input_shard(index: int, count: int) -> Iterator[None]:
    """Samplers built inside read part ``index`` of ``count`` of every batch."""
    if not 0 <= index < count:
        raise ConfigError(f"input shard {index} of {count} does not exist")
    token = _SHARD.set((index, count) if count > 1 else None)
    try:
        yield
    finally:
        _SHARD.reset(token)


def shard_rows_per_batch(batch_size: int) -> int:
    """The rows of a ``batch_size`` batch that this pipeline reads."""
    shard = _SHARD.get()
    if shard is None:
        return batch_size
    if batch_size % shard[1]:
        raise ConfigError(f"a batch of {batch_size} does not split into {shard[1]} equal "
                          "worker parts")
    return batch_size // shard[1]


def own_rows(index: tf.Tensor, extras: Any) -> tuple[tf.Tensor, Any]:
    """This pipeline's rows of a batch's ``index`` and of each ``extras`` tensor (all share
    the leading batch dimension); the whole batch outside ``input_shard``."""
    shard = _SHARD.get()
    if shard is None:
        return index, extras
    part, count = shard

    def rows(tensor: tf.Tensor) -> tf.Tensor:
        size = tf.shape(tensor)[0] // count
        return tensor[part * size:(part + 1) * size]

    return rows(index), tf.nest.map_structure(rows, extras)


def shard_index() -> int:
    """Which part of each batch this pipeline reads (0 outside ``input_shard``): its rows
    start at ``shard_index() * rows_read`` of the global batch."""
    shard = _SHARD.get()
    return 0 if shard is None else shard[0]


def sharded() -> bool:
    """Whether samplers built now read only part of each batch."""
    return _SHARD.get() is not None

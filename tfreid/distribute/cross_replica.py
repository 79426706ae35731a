"""The global batch inside ``strategy.run``: every replica's rows, with exact gradients.

``cross_replica_concat(x)`` returns the rows of all replicas stacked in replica
order and where this replica's rows start. A loss then compares its own rows
(the queries) with the global batch (the keys), so mining and the loss see the
global batch and each replica computes the losses of its own anchors; Keras
averages over replicas and sums their gradients, which gives the single-device
gradient of the global batch (google-research/simclr, objective.py, does the
same with ``all_reduce``).

Two forms: ``"all_gather"`` (``ReplicaContext.all_gather``, whose gradient sums
the upstream gradients over replicas and keeps this replica's rows) and
``"all_reduce"`` (this replica's rows scattered into a zero tensor of all
replicas' rows, then summed: the form that works under XLA on GPUs, where
``all_gather`` needs a ``merge_call`` that a jit-compiled step cannot make).
The all_reduce form needs equal per-replica batches, which tfreid's streams
guarantee (``drop_remainder``). Outside a strategy, or with one replica, both
return ``x`` itself.
"""

from tfreid.backend import tf

GATHER_METHODS = ("auto", "all_gather", "all_reduce")


def replicas_in_sync() -> int:
    """How many replicas the current step runs on (1 outside a strategy)."""
    context = tf.distribute.get_replica_context()
    return 1 if context is None else int(context.num_replicas_in_sync)


def cross_replica_concat(x: tf.Tensor, method: str = "auto") -> tuple[tf.Tensor, tf.Tensor]:
    """(rows of all replicas (R * B, ...), offset of this replica's rows) (module docstring).

    ``method="auto"`` takes all_reduce inside an XLA-compiled function and
    all_gather elsewhere.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return x, tf.constant(0, tf.int32)
    if method == "auto":
        method = "all_reduce" if _inside_xla() else "all_gather"
    rows = tf.shape(x)[0]
    replica = tf.cast(context.replica_id_in_sync_group, tf.int32)
    if method == "all_gather":
        return context.all_gather(x, axis=0), replica * rows
    if method != "all_reduce":
        raise ValueError(f"method must be one of {', '.join(GATHER_METHODS)}, got {method!r}")
    replicas = context.num_replicas_in_sync
    placed = tf.scatter_nd(tf.reshape(replica, [1, 1]), x[None],
                           tf.concat([[replicas], tf.shape(x)], 0))
    summed = context.all_reduce(tf.distribute.ReduceOp.SUM, placed)
    return tf.reshape(summed, tf.concat([[replicas * rows], tf.shape(x)[1:]], 0)), \
        replica * rows


def _inside_xla() -> bool:
    """True while tracing an XLA-compiled function (the test MirroredStrategy makes)."""
    from tensorflow.python.ops import control_flow_util

    return bool(control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()))


def replica_rows(total: int) -> tuple[tf.Tensor, int]:
    """(first row, row count) of this replica's contiguous share of a global batch of
    ``total`` rows built inside a step; (0, total) outside a strategy. ValueError if
    ``total`` does not split evenly."""
    context = tf.distribute.get_replica_context()
    replicas = 1 if context is None else int(context.num_replicas_in_sync)
    if total % replicas:
        raise ValueError(f"a batch of {total} rows does not split into {replicas} equal "
                         "replica batches")
    if replicas == 1:
        return tf.constant(0, tf.int64), total
    count = total // replicas
    return tf.cast(context.replica_id_in_sync_group, tf.int64) * count, count


def mean_over_replicas(value: tf.Tensor) -> tf.Tensor:
    """The mean of ``value`` over the replicas (``value`` outside a strategy)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.MEAN, value)


def update_in_sync(variables: list, values: list, update) -> None:
    """``update(variable, value)`` for each pair, once per device, from the cross-replica
    context (``merge_call``): state that every replica computes alike (an EMA teacher)
    stays equal on all of them. Outside a strategy it simply updates."""

    def merged(strategy, *pairs):
        for variable, value in pairs:
            strategy.extended.update(variable, update, args=(value,))

    context = tf.distribute.get_replica_context()
    pairs = list(zip(variables, values, strict=True))
    if context is None:
        for variable, value in pairs:
            update(variable, value)
        return
    context.merge_call(merged, args=tuple(pairs))

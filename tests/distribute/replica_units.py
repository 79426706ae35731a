"""Checks of the cross-replica pieces on 2 logical CPU devices, in a fresh process.

    python -m tests.distribute.replica_units   # prints one JSON object
"""

import json
import os

import numpy as np


def gathered(strategy, tf, method: str) -> dict:
    """Per replica: the gathered rows, the offset and d(sum(w * gathered)) / d(own rows)."""
    from tfreid.distribute.cross_replica import cross_replica_concat

    weights = tf.constant(np.arange(12, dtype=np.float32).reshape(6, 2))

    def step():
        context = tf.distribute.get_replica_context()
        own = tf.fill([3, 2], tf.cast(context.replica_id_in_sync_group, tf.float32) + 1.0)
        with tf.GradientTape() as tape:
            tape.watch(own)
            rows, offset = cross_replica_concat(own, method)
            value = tf.reduce_sum(rows * weights)
        return rows, offset, tape.gradient(value, own)

    rows, offsets, grads = strategy.run(tf.function(step))
    local = strategy.experimental_local_results
    return {"rows": [r.numpy().tolist() for r in local(rows)],
            "offsets": [int(o) for o in local(offsets)],
            "grads": [g.numpy().tolist() for g in local(grads)]}


def batch_norm_outputs(strategy, tf, keras, synchronized: bool) -> dict:
    """Training-mode BN outputs of a 2-replica split batch and of the whole batch."""
    from tfreid.models.batch_norm import synchronize_batch_norm

    images = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32) * [1, 5, 9]
    whole = keras.layers.BatchNormalization()(images, training=True).numpy()
    with strategy.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])
        if synchronized:
            synchronize_batch_norm(model)
    dataset = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices(images).batch(8))
    split = strategy.run(tf.function(lambda x: model(x, training=True)),
                         args=(next(iter(dataset)),))
    parts = np.concatenate([p.numpy() for p in strategy.experimental_local_results(split)])
    return {"max_difference": float(np.abs(parts - whole).max())}


def main() -> None:
    from tfreid.backend import keras, tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()]
                                               * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    print(json.dumps({
        "all_gather": gathered(strategy, tf, "all_gather"),
        "all_reduce": gathered(strategy, tf, "all_reduce"),
        "bn_synchronized": batch_norm_outputs(strategy, tf, keras, True),
        "bn_local": batch_norm_outputs(strategy, tf, keras, False),
    }))


if __name__ == "__main__":
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    main()

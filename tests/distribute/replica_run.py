"""Small engine runs in one fresh process on N logical CPU devices (tests/distribute).

    python -m tests.distribute.replica_run RUNS_JSON DEVICES OUT_DIR

RUNS_JSON: a list of RunConfig.for_method settings (each with "method"). Each run
trains with plain SGD (Adam turns float-summation noise in near-zero gradients
into whole steps) and writes OUT_DIR/<i>.json (loss history, steps per epoch, held-out figures)
and, on the chief, OUT_DIR/<i>.npy (the trained encoder's weights, flattened).
"""

import json
import os
import sys
from pathlib import Path

import numpy as np


def sgd_variant(base: type) -> type:
    """``base`` training with SGD at the run's learning rate."""

    class SGDMethod(base):
        name = f"{base.name}_sgd"
        steps_per_epoch = None  # what the last plan took, for the tolerances of tests/distribute

        def plan(self, encoder, data):
            from tfreid.backend import keras

            plan = super().plan(encoder, data)
            plan.optimizer = keras.optimizers.SGD(self.config.lr)
            SGDMethod.steps_per_epoch = plan.steps_per_epoch
            return plan

    return SGDMethod


def run(settings: dict, out: Path) -> None:
    from tfreid.catalog import METHODS
    from tfreid.training.config import RunConfig
    from tfreid.training.engine import train
    from tfreid.training.saved_run import load_encoder

    variant = sgd_variant(METHODS.get(settings.pop("method")))
    METHODS.register(variant.name, variant)
    results = train(RunConfig.for_method(variant.name, **settings), verbose=0)
    if results.get("worker", 0) == 0:
        weights = load_encoder(Path(results["logdir"])).get_weights()
        np.save(out.with_suffix(".npy"), np.concatenate([w.ravel() for w in weights]))
    out.with_suffix(".json").write_text(json.dumps(
        {"loss": results["history"]["loss"], "steps_per_epoch": variant.steps_per_epoch,
         "test": results.get("test")}))


def main(runs: list[dict], devices: int, out_dir: str) -> None:
    from tfreid.backend import tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()]
                                               * devices)
    for index, settings in enumerate(runs):
        run(dict(settings), Path(out_dir) / str(index))


if __name__ == "__main__":
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    main(json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3])

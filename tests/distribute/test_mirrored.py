"""MirroredStrategy on 2 logical CPU devices equals one device on the same global batch.

Logical devices are fixed when TensorFlow starts, so the runs happen in a fresh
process (``replica_run``), without XLA (it fails with Mirrored on logical CPUs).
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"epochs": 2, "steps_per_epoch": 3, "batch_size": 16, "image_size": 40,
         "embedding_dim": 8, "xla": False, "save_export": False, "lr": 0.05}
LOSSES = {
    "batch_hard_triplet": {"method": "batch", "loss": "triplet_margin", "miner": "hard",
                           "validation_steps": 1},
    "multi_similarity": {"method": "batch", "loss": "multi_similarity", "validation_steps": 1},
    "multi_similarity_xbm": {"method": "batch", "loss": "multi_similarity", "memory_size": 48,
                             "validation_steps": 1},
}
# methods that build their batches inside train_step and keep state (EMA teacher; memory
# bank, candidate pools and the hard-negative cycle). Their discrete choices (kNN pools,
# thresholds) turn the 1e-7 float differences of summing gradients per replica into
# different batches at large steps (InsCLR's 3rd-cycle loss moves 0.4 % at lr 1e-3), so
# they train with small ones here.
STATEFUL = {
    "stml": {"method": "stml", "wide_dim": 16, "epochs": 2, "steps_per_epoch": 2, "lr": 1e-3},
    "insclr": {"method": "insclr", "anchors": 4, "pool_size": 20, "exclusion": 5,
               "memory_from": 0.2, "epochs": 4, "steps_per_epoch": 2, "lr": 1e-4},
}
# paper 000's random triplets: every replica embeds its rows of (anchor, positive, negative);
# no batch loss, so nothing to gather
TRIPLETS = {"triplets": {"method": "triplet", "num_triplets": 40}}
VARIANTS = {"one": {"strategy": "none"}, "mirrored": {"strategy": "mirrored"},
            "local": {"strategy": "mirrored", "cross_replica": False}}
LOCAL = ("batch_hard_triplet", "multi_similarity")  # the losses run without gathering too


def replica_runs(runs: list[dict], devices: int, out: Path, processes: int = 2) -> list[dict]:
    """Run ``runs`` in fresh processes on ``devices`` logical CPUs each, ``processes`` at
    once (a run traces its functions on one core; the other is free); their results."""
    size = -(-len(runs) // processes)
    parts = [runs[start:start + size] for start in range(0, len(runs), size)]
    started = []
    for number, part in enumerate(parts):
        (out / str(number)).mkdir(parents=True, exist_ok=True)
        started.append(subprocess.Popen(
            [sys.executable, "-m", "tests.distribute.replica_run", json.dumps(part),
             str(devices), str(out / str(number))], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    try:
        for process in started:
            _, stderr = process.communicate(timeout=400)
            assert process.returncode == 0, stderr[-3000:]
    finally:
        for process in started:
            process.kill()
    return [{**json.loads((out / str(number) / f"{i}.json").read_text()),
             "weights": np.load(out / str(number) / f"{i}.npy")}
            for number, part in enumerate(parts) for i in range(len(part))]


@pytest.fixture(scope="module")
def compared(learnable_dataset, tmp_path_factory):
    """For each loss: one device and 2 mirrored replicas gathering (for ``LOCAL``, 2 replicas
    not gathering too); for each stateful method and for random triplets the first two."""
    logs = tmp_path_factory.mktemp("mirrored")
    keys, runs = [], []
    for name, settings in {**LOSSES, **STATEFUL, **TRIPLETS}.items():
        small = {k: v for k, v in SMALL.items() if k != "steps_per_epoch" or name not in TRIPLETS}
        for variant, extra in VARIANTS.items():
            if variant == "local" and name not in LOCAL:
                continue
            keys.append((name, variant))
            runs.append({**small, **settings, **extra, "dataset": str(learnable_dataset),
                         "logdir": str(logs / f"{name}-{variant}")})
    compared = {}
    for (name, variant), result in zip(keys, replica_runs(runs, 2, logs / "out"), strict=True):
        compared.setdefault(name, {})[variant] = result
    return compared


@pytest.mark.parametrize("loss", [*LOSSES, *STATEFUL, *TRIPLETS])
def test_mirrored_run_equals_one_device(compared, loss):
    one, mirrored = compared[loss]["one"], compared[loss]["mirrored"]
    np.testing.assert_allclose(mirrored["loss"], one["loss"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mirrored["weights"], one["weights"], atol=1e-5)
    assert mirrored["test"]["mAP"] == pytest.approx(one["test"]["mAP"], abs=1e-6)
    assert mirrored["test"]["rank1"] == one["test"]["rank1"]


@pytest.mark.parametrize("loss", LOCAL)
def test_without_gathering_each_replica_sees_half_the_batch(compared, loss):
    one, local = compared[loss]["one"], compared[loss]["local"]
    assert abs(local["loss"][0] - one["loss"][0]) > 1e-4
    assert np.abs(local["weights"] - one["weights"]).max() > 1e-3

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

from tests.tolerances import conv_gradient_terms, float32_tolerance

pytestmark = [pytest.mark.numeric, pytest.mark.slow]

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


# Gathering changes the order of the gradient sums: each replica adds its 8 rows' share of
# every pixel, then the replicas are added (tests/tolerances.py). Every method here selects:
# hardest negatives (argmax), mined pairs (thresholds), hinges, nearest neighbours; a near tie
# that round-off decides the other way gives one row's gradient another direction, so the
# weights take gain = the batch's rows. The logged loss is continuous where the selection is a
# max or a hinge (gain 1), and jumps where a threshold keeps or drops a pair (gain = rows).
ROWS = SMALL["batch_size"]
PAIR_THRESHOLDS = {"multi_similarity", "multi_similarity_xbm", "insclr", "stml"}


def steps_of(run: dict) -> int:
    """The training steps a run took (``loss`` holds one mean per epoch)."""
    return len(run["loss"]) * run["steps_per_epoch"]


def weights_tolerance(reference: dict) -> float:
    return float32_tolerance(np.abs(reference["weights"]).max(),
                             conv_gradient_terms(ROWS, SMALL["image_size"]),
                             steps_of(reference), gain=ROWS)


def loss_tolerance(reference: dict, loss: str) -> float:
    return float32_tolerance(max(np.abs(reference["loss"])),
                             conv_gradient_terms(ROWS, SMALL["image_size"]), steps_of(reference),
                             gain=ROWS if loss in PAIR_THRESHOLDS else 1)


def assert_scores_agree(run: dict, reference: dict) -> None:
    """The held-out scores follow from the weights up to near ties between two gallery images,
    which round-off may order either way: one such swap moves a query's AP by at most 1/2 and
    its rank-1 by 1, so mAP by 1 / (2 queries) and rank-1 by 1 / queries."""
    queries = reference["test"]["num_queries"]
    assert abs(run["test"]["mAP"] - reference["test"]["mAP"]) * queries <= 0.5 + 1e-9
    assert round(abs(run["test"]["rank1"] - reference["test"]["rank1"]) * queries) <= 1


@pytest.mark.parametrize("loss", [*LOSSES, *STATEFUL, *TRIPLETS])
def test_mirrored_run_equals_one_device(compared, loss):
    one, mirrored = compared[loss]["one"], compared[loss]["mirrored"]
    np.testing.assert_allclose(mirrored["loss"], one["loss"], rtol=0,
                               atol=loss_tolerance(one, loss))
    np.testing.assert_allclose(mirrored["weights"], one["weights"], rtol=0,
                               atol=weights_tolerance(one))
    assert_scores_agree(mirrored, one)


@pytest.mark.parametrize("loss", LOCAL)
def test_without_gathering_each_replica_sees_half_the_batch(compared, loss):
    """Each replica mines its own 8 rows: the equality test above fails on such a run, and
    not narrowly (several times its tolerances)."""
    one, local = compared[loss]["one"], compared[loss]["local"]
    assert abs(local["loss"][0] - one["loss"][0]) > 3 * loss_tolerance(one, loss)
    assert np.abs(local["weights"] - one["weights"]).max() > 3 * weights_tolerance(one)

"""MultiWorkerMirroredStrategy: two local workers on loopback ports equal one device.

Each worker is a fresh process (``replica_run``) with its own ``TF_CONFIG``, and
reads only its rows of each global batch (``tfreid.data.input_shard``);
the test bounds them in time and ends both whatever happens. The loss is
Multi-Similarity; the tolerances are test_mirrored's (the workers' collectives
add the replicas' gradients as Mirrored does), from ``tests/tolerances.py``.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.distribute.test_mirrored import (
    LOSSES,
    ROOT,
    SMALL,
    assert_scores_agree,
    loss_tolerance,
    replica_runs,
    weights_tolerance,
)

pytestmark = [pytest.mark.numeric, pytest.mark.slow]


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now (bound, read and released)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start_workers(runs: list[dict], out: Path, scratch: Path) -> list[subprocess.Popen]:
    """Two workers of ``runs`` on free loopback ports, each with its own temp folder."""
    hosts = [f"127.0.0.1:{port}" for port in free_ports(2)]
    workers = []
    for index in range(2):
        (out / str(index)).mkdir(parents=True, exist_ok=True)
        (scratch / str(index)).mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TMPDIR": str(scratch / str(index)),
               "TF_CONFIG": json.dumps({"cluster": {"worker": hosts},
                                        "task": {"type": "worker", "index": index}})}
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "tests.distribute.replica_run", json.dumps(runs), "1",
             str(out / str(index))], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    return workers


def wait_all(workers: list[subprocess.Popen], timeout: float) -> list[tuple[int, str, str]]:
    """(exit status, stderr, stdout) of each worker; every worker is ended, even on a
    timeout."""
    try:
        outputs = [w.communicate(timeout=timeout) for w in workers]
        return [(w.returncode, err, out) for w, (out, err) in zip(workers, outputs, strict=True)]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


# 4 epochs of 3 steps: the killed cluster below is stopped after its first and resumes
CLUSTER = {**SMALL, **LOSSES["multi_similarity"], "epochs": 4, "input": "stream"}


def chief_results(out: Path) -> dict:
    return {**json.loads((out / "0" / "0.json").read_text()),
            "weights": np.load(out / "0" / "0.npy")}


@pytest.fixture(scope="module")
def two_workers(learnable_dataset, tmp_path_factory):
    root = tmp_path_factory.mktemp("multiworker")
    settings = {**CLUSTER, "dataset": str(learnable_dataset)}
    one = replica_runs([{**settings, "strategy": "none", "input": "memory",
                         "logdir": str(root / "one")}], 1, root / "one-out")[0]
    cluster = {**settings, "strategy": "multiworker", "logdir": str(root / "logs" / "cluster")}
    workers = start_workers([cluster], root / "out", root / "scratch")
    ended = wait_all(workers, timeout=300)
    for status, stderr, _ in ended:
        assert status == 0, stderr[-3000:]
    return {"one": one, "root": root, "settings": settings, "chief": chief_results(root / "out"),
            "worker": json.loads((root / "out" / "1" / "0.json").read_text())}


def test_two_streaming_workers_equal_one_device_on_the_same_global_batch(two_workers):
    """Each worker streams and reads only its half of every global batch; the one device
    holds the data in memory."""
    one, chief = two_workers["one"], two_workers["chief"]
    loss_atol = loss_tolerance(one, "multi_similarity")
    np.testing.assert_allclose(chief["loss"], one["loss"], rtol=0, atol=loss_atol)
    np.testing.assert_allclose(two_workers["worker"]["loss"], one["loss"], rtol=0,
                               atol=loss_atol)
    np.testing.assert_allclose(chief["weights"], one["weights"], rtol=0,
                               atol=weights_tolerance(one))
    assert_scores_agree(chief, one)


def test_only_the_chief_wrote_files(two_workers):
    root = two_workers["root"]
    assert two_workers["worker"]["test"] is None  # the worker evaluated and saved nothing
    run = root / "logs" / "cluster"
    assert sorted(p.name for p in (root / "logs").iterdir()) == ["cluster"]
    assert (run / "results.json").exists() and (run / "encoder.keras").exists()
    assert not list(run.rglob("workertemp*"))
    assert not (root / "out" / "1" / "0.npy").exists()
    assert list((root / "scratch" / "1").iterdir()) == []  # its private folder is gone


def test_a_killed_cluster_resumes_from_the_chiefs_backup(two_workers, tmp_path):
    """Killed after its first backed-up epoch and started again, the cluster ends exactly as
    the uninterrupted one did: the same kernels and collectives add in the same order from
    weights restored bit for bit (a skipped or repeated batch shows at once)."""
    cluster = [{**two_workers["settings"], "strategy": "multiworker",
                "logdir": str(tmp_path / "cluster")}]
    first = start_workers(cluster, tmp_path / "first", tmp_path / "scratch")
    backup = tmp_path / "cluster" / "resume"
    try:
        deadline = time.monotonic() + 240
        while not list(backup.glob("state-*.json")) and time.monotonic() < deadline:
            assert all(w.poll() is None for w in first), "a worker ended before its backup"
            time.sleep(0.2)
        first[1].kill()  # a worker is preempted; the chief cannot go on without it
    finally:
        wait_all(first, timeout=60)
    assert list(backup.glob("state-*.json")), "no epoch was backed up in time"
    ended = wait_all(start_workers(cluster, tmp_path / "again", tmp_path / "scratch"), 300)
    for status, stderr, _ in ended:
        assert status == 0, stderr[-3000:]
    assert "resuming run cluster" in ended[0][2]
    resumed, uninterrupted = chief_results(tmp_path / "again"), two_workers["chief"]
    np.testing.assert_array_equal(resumed["weights"], uninterrupted["weights"])
    assert resumed["loss"] == uninterrupted["loss"]

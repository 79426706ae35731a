"""Strategy names, TF_CONFIG and the checks a placement makes before training."""

import json
from types import SimpleNamespace

import pytest

from tfreid.distribute.strategies import Worker, cluster_worker, resolve_strategy_name
from tfreid.errors import ConfigError
from tfreid.training.config import RunConfig
from tfreid.training.placement import Placement


def cluster(index: int, workers: int = 2) -> str:
    return json.dumps({"cluster": {"worker": [f"localhost:{2000 + i}" for i in range(workers)]},
                       "task": {"type": "worker", "index": index}})


def test_auto_picks_multiworker_for_a_cluster_mirrored_for_gpus_else_none(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert resolve_strategy_name("auto", gpus=0) == "none"
    assert resolve_strategy_name("auto", gpus=1) == "none"
    assert resolve_strategy_name("auto", gpus=4) == "mirrored"
    monkeypatch.setenv("TF_CONFIG", cluster(1))
    assert resolve_strategy_name("auto", gpus=0) == "multiworker"
    assert resolve_strategy_name("none", gpus=0) == "none"


def test_worker_zero_of_the_cluster_is_the_chief(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", cluster(1, workers=3))
    assert cluster_worker() == Worker(1, 3) and not cluster_worker().is_chief
    monkeypatch.setenv("TF_CONFIG", cluster(0))
    assert cluster_worker().is_chief


@pytest.mark.parametrize("text", ["{not json", '{"cluster": {}}', '{"task": {"type": "ps"}}'])
def test_a_malformed_tf_config_is_a_config_error(monkeypatch, text):
    monkeypatch.setenv("TF_CONFIG", text)
    with pytest.raises(ConfigError, match="TF_CONFIG"):
        cluster_worker()


def test_a_parameter_server_task_is_refused(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1"], "ps": ["b:2"]},
                                                "task": {"type": "ps", "index": 0}}))
    with pytest.raises(ConfigError, match="no parameter servers"):
        cluster_worker()


def placement(replicas: int, workers: int = 1) -> Placement:
    strategy = SimpleNamespace(num_replicas_in_sync=replicas)
    return Placement(strategy, "float32", Worker(0, workers))


def test_a_batch_that_does_not_split_evenly_over_the_replicas_is_refused():
    with pytest.raises(ConfigError, match="batch size 10 does not split into 4 equal"):
        placement(4).check(RunConfig(batch_size=10))
    placement(4).check(RunConfig(batch_size=12))


def test_a_multi_worker_run_needs_a_run_name():
    with pytest.raises(ConfigError, match="needs --run-name"):
        placement(2, workers=2).check(RunConfig(batch_size=8))
    placement(2, workers=2).check(RunConfig(batch_size=8, run_name="two-workers"))


def test_unknown_strategy_and_precision_are_config_errors():
    with pytest.raises(ConfigError, match="unknown strategy"):
        RunConfig(strategy="parameter_server").check()
    with pytest.raises(ConfigError, match="unknown precision"):
        RunConfig(precision="float8").check()

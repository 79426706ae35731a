"""``--strategy``: which ``tf.distribute.Strategy`` a run trains under.

* ``none``: the default strategy (one device).
* ``mirrored``: ``MirroredStrategy`` over the visible GPUs (or the devices given).
* ``multiworker``: ``MultiWorkerMirroredStrategy``, configured by ``TF_CONFIG``
  (``{"cluster": {"worker": [host:port, ...]}, "task": {"type": "worker",
  "index": i}}``); every worker runs the same command, worker 0 (the chief)
  writes the run's files.
* ``auto``: multiworker when ``TF_CONFIG`` names more than one worker, mirrored
  with more than one GPU, else none.

A multi-worker strategy must exist before TensorFlow runs its first operation,
so the engine makes the strategy before it loads any data. A process makes each
strategy once and reuses it (a sweep trains many runs in one process: a second
``MirroredStrategy``'s collectives fail, and a second multi-worker one cannot be
made at all).
"""

import functools
import json
import os
from dataclasses import dataclass
from typing import Any

from tfreid.errors import ConfigError

STRATEGY_CHOICES = ("auto", "none", "mirrored", "multiworker")


@dataclass(frozen=True)
class Worker:
    """This process's place in a cluster: its index, how many workers, and whether it
    writes files (the chief, worker 0)."""

    index: int = 0
    count: int = 1

    @property
    def is_chief(self) -> bool:
        return self.index == 0


def cluster_worker() -> Worker:
    """This process's place as ``TF_CONFIG`` gives it (one worker without one)."""
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        return Worker()
    try:
        spec = json.loads(text)
        workers = spec["cluster"].get("worker", [])
        chiefs = spec["cluster"].get("chief", [])
        task = spec["task"]
        index = int(task.get("index", 0)) + (len(chiefs) if task["type"] == "worker" else 0)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(f"TF_CONFIG is not a cluster spec with a task ({error})") from None
    if task["type"] not in ("worker", "chief"):
        raise ConfigError(f"TF_CONFIG task type {task['type']!r} is not trained by tfreid "
                          "(workers only: no parameter servers)")
    return Worker(index, len(workers) + len(chiefs))


def resolve_strategy_name(name: str, gpus: int) -> str:
    """The strategy ``name`` stands for (``auto`` resolved) with ``gpus`` GPUs visible."""
    if name not in STRATEGY_CHOICES:
        raise ConfigError(f"strategy must be one of {', '.join(STRATEGY_CHOICES)}, got {name!r}")
    if name != "auto":
        return name
    if cluster_worker().count > 1:
        return "multiworker"
    return "mirrored" if gpus > 1 else "none"


def make_strategy(name: str) -> tuple[str, Any]:
    """(the resolved name, the ``tf.distribute.Strategy``) of ``--strategy name`` (module
    docstring)."""
    from tfreid.backend import tf

    resolved = resolve_strategy_name(name, len(tf.config.list_physical_devices("GPU")))
    return resolved, _strategy(resolved)


@functools.cache
def _strategy(resolved: str):
    from tfreid.backend import tf

    if resolved == "none":
        return tf.distribute.get_strategy()
    if resolved == "mirrored":
        return tf.distribute.MirroredStrategy(devices=_mirrored_devices(tf))
    cluster_worker()  # a malformed TF_CONFIG is a ConfigError, not TensorFlow's traceback
    return tf.distribute.MultiWorkerMirroredStrategy()


def _mirrored_devices(tf) -> list[str]:
    """The GPUs, else the CPUs (several logical CPUs in tests, one CPU otherwise)."""
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]

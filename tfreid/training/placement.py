"""Where a run trains: its ``tf.distribute`` strategy, precision, and this process's part.

The engine makes the ``Placement`` of a run before it touches any data (a
multi-worker strategy must exist before TensorFlow runs an operation), builds
and fits every model, optimiser, proxy, teacher and memory bank inside
``placement.scope()``, and lets only the chief write the run's files: other
workers of a ``multiworker`` run keep their TensorBoard events and best-epoch
weights in a private temporary folder (removed when they end) and read the
chief's ``resume/`` backup, as Keras' ``BackupAndRestore`` does, so a preempted
cluster resumes where the chief's last backup ends.
"""

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfreid.distribute.precision import precision_policy
from tfreid.distribute.strategies import Worker, cluster_worker, make_strategy
from tfreid.errors import ConfigError
from tfreid.io.home import logs_root

END_BARRIER_MS = 24 * 3600 * 1000  # how long workers wait for the chief's evaluation


@dataclass
class Placement:
    """A run's strategy, its precision policy and this process's worker."""

    strategy: Any
    precision: str
    worker: Worker

    @classmethod
    def of(cls, config) -> "Placement":
        """Make the strategy of ``config.strategy`` and check that the batch splits evenly."""
        name, strategy = make_strategy(config.strategy)
        worker = cluster_worker() if name == "multiworker" else Worker()
        placement = cls(strategy, config.precision, worker)
        placement.check(config)
        return placement

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    def check(self, config) -> None:
        """ConfigError for a run that cannot be split over this placement's replicas."""
        if config.batch_size % self.replicas:
            raise ConfigError(f"batch size {config.batch_size} does not split into "
                              f"{self.replicas} equal replica batches; choose a multiple of "
                              f"{self.replicas}")
        if self.worker.count > 1 and not (config.run_name or config.logdir):
            raise ConfigError("a multi-worker run needs --run-name (or --logdir), the same on "
                              "every worker, so that all of them find the chief's run folder")

    def detach(self, model: Any) -> Any:
        """``model`` itself without a strategy, else a copy of it with the same weights outside
        the strategy: saving, evaluating and exporting it then runs no collective operation
        that the other workers, done with training, would never join."""
        from tfreid.backend import keras, tf

        if self.strategy is tf.distribute.get_strategy():
            return model
        with precision_policy(self.precision):
            copy = keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
        return copy

    def end_together(self) -> None:
        """Wait until every worker of a multi-worker run is here (a no-op otherwise).

        Workers call it when training ends, the chief once its results are saved: a
        worker that left earlier would stop its heartbeats while the chief still
        evaluates, and the chief's coordination service would log it as crashed.
        """
        if self.worker.count > 1:
            from tensorflow.python.eager import context

            context.context().wait_at_barrier("tfreid-run-end", END_BARRIER_MS)

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Build and train inside: the strategy's scope under the precision policy."""
        with precision_policy(self.precision), self.strategy.scope():
            yield


@dataclass
class WorkerRun:
    """What a non-chief worker sees of the chief's run: the chief's backup to resume from,
    and a private folder for everything it would otherwise write."""

    name: str
    path: Path
    resume_dir: Path


@contextlib.contextmanager
def worker_run(config) -> Iterator[WorkerRun]:
    """A non-chief worker's view of the run named by ``config`` (module docstring)."""
    chief = Path(config.logdir) if config.logdir else logs_root() / config.run_name
    with tempfile.TemporaryDirectory(prefix="tfreid-worker-") as private:
        yield WorkerRun(chief.name, Path(private), chief / "resume")

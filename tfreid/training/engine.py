"""The one training engine: every method (``tfreid.catalog.METHODS``) runs through it.

``train(config)`` does the shared path once: check the settings, open (or
resume) the run folder, load and split the data, build the backbone (or an
ensemble of members), let the method ``plan`` what to fit, compile, fit with
the standard callbacks (monitor, TensorBoard, best epoch, resume), save the
encoder, evaluate on the held-out identities (and on the ``test_datasets``), save the
results and export.
Rerun on a finished run, it only makes the run's missing export (a run killed
while exporting), from the saved encoder. ``fine_tune`` trains an encoder on with
a run's own method (compression, QAT). Under ``--strategy`` everything is built
and fitted inside the strategy's scope (``placement``); only the chief writes the
run's files. A method that keeps its own training state (a teacher, a memory
bank) plans a ``keras.Model`` subclass with its own ``train_step``; the engine
treats it like any other model.
"""

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfreid.backend import keras
from tfreid.catalog import METHODS
from tfreid.data.dataset import Dataset
from tfreid.data.reader import SplitArrays
from tfreid.errors import ConfigError, OutputError, describe
from tfreid.evaluation.embedding import chance_scores, embed, score_held_out
from tfreid.evaluation.protocol import evaluate_model
from tfreid.export.saved_model import export_saved_model
from tfreid.io.home import exports_root
from tfreid.io.outputs import (
    check_new_output,
    check_not_nested,
    ensure_writable_dir,
    is_tfreid_output,
)
from tfreid.losses.metric_loss import set_cross_replica
from tfreid.losses.per_member import PerMemberLoss
from tfreid.models.backbones import build_encoder
from tfreid.models.batch_norm import synchronize_batch_norm
from tfreid.models.ensemble import build_ensemble
from tfreid.training.config import RunConfig
from tfreid.training.fitting import FitPaths, fit_resumable, standard_callbacks
from tfreid.training.methods.base import Method
from tfreid.training.placement import Placement, worker_run
from tfreid.training.run_data import load_reid_data, open_test_datasets
from tfreid.training.run_folder import RunFolder, locate_run
from tfreid.training.run_summaries import write_run_summaries


def make_method(config: RunConfig) -> Method:
    """The checked method of ``config`` (its settings checked too)."""
    config.check()
    method = METHODS.get(config.method)(config)
    method.check()
    if config.side_by_side and config.members > 1 and not method.side_by_side:
        raise ConfigError(f"method {config.method} cannot train ensemble members side by side "
                          "(its loss is not on the embedding); train them in turn")
    return method


def fit_encoder(method: Method, encoder: keras.Model, data: dict[str, SplitArrays],
                paths: FitPaths, verbose: int = 0,
                member_dims: list[int] | None = None) -> tuple[dict[str, list[float]], Any]:
    """Train ``encoder`` with ``method``; (history, best-epoch callback). With several
    ``member_dims`` each ensemble member's slice gets the loss on its own."""
    config = method.config
    plan = method.plan(encoder, data)
    loss = PerMemberLoss(plan.loss, member_dims) if member_dims and len(member_dims) > 1 \
        else plan.loss
    set_cross_replica(loss, config.cross_replica)
    optimizer = plan.optimizer or config.make_optimizer(plan.steps_per_epoch)
    plan.model.compile(optimizer=optimizer, loss=loss, metrics=plan.metrics,
                       jit_compile=config.jit_compile())
    callbacks, best = standard_callbacks(config, encoder, data, paths, verbose)
    callbacks = [*(make(paths.logdir) for make in plan.every_start), *callbacks]
    history = fit_resumable(plan.model, plan.train, plan.steps_per_epoch, config.epochs, paths,
                            callbacks, best, plan.validation,
                            tuple(make(paths.logdir) for make in plan.callbacks))
    return history, best


def fine_tune(encoder: keras.Model, config: RunConfig, data: dict[str, SplitArrays],
              epochs: int, logdir: Path, verbose: int = 0) -> keras.Model:
    """Train ``encoder`` on for ``epochs`` epochs with the run's own method (no early stop)."""
    short = config.replace(epochs=epochs, patience=max(epochs, config.patience))
    fit_encoder(make_method(short), encoder, data, FitPaths.plain(logdir), verbose)
    return encoder


def _member(config: RunConfig, index: int, dim: int) -> keras.Model:
    named = {"name": f"member{index}"} if config.members > 1 else {}
    encoder = build_encoder(config.backbone, config.image_shape(), dim, **named,
                            **config.encoder_options())
    if config.initial_weights is not None:
        start_from(encoder, config.initial_weights)
    if config.sync_batch_norm:
        synchronize_batch_norm(encoder)
    return encoder


def start_from(encoder: keras.Model, source: str) -> None:
    """Copy the weights of a trained encoder (a run folder or ``encoder.keras``) into
    ``encoder``; ConfigError if the architectures differ."""
    from tfreid.training.saved_run import load_encoder

    path = Path(source)
    trained = load_encoder(path.parent if path.suffix == ".keras" else path)
    shapes = [w.shape for w in trained.get_weights()]
    if shapes != [w.shape for w in encoder.get_weights()]:
        raise ConfigError(f"the encoder in {source} has another architecture than this run's "
                          f"(--backbone, --image-size, --embedding-dim must match)")
    encoder.set_weights(trained.get_weights())


def _train_members(method: Method, run: RunFolder, data: dict[str, SplitArrays],
                   verbose: int) -> tuple[keras.Model, dict, list[dict]]:
    """Encoder, history, best epochs: one encoder (or members side by side), or members
    trained one after another with their own seeds."""
    config = method.config
    dims = config.member_dims()
    if len(dims) == 1 or config.side_by_side:
        keras.utils.set_random_seed(config.seed)
        encoder = build_ensemble([_member(config, i, d) for i, d in enumerate(dims)])
        history, best = fit_encoder(method, encoder, data, FitPaths.of_run(run), verbose, dims)
        return encoder, history, [best_of(best)]
    members, history, bests = [], {}, []
    for index, dim in enumerate(dims):
        member_config = config.replace(seed=config.seed + index, embedding_dim=dim, members=1,
                                       member_dim=None)
        keras.utils.set_random_seed(member_config.seed)
        members.append(_member(config, index, dim))
        member_history, best = fit_encoder(make_method(member_config), members[-1], data,
                                           FitPaths.of_run(run, f"member{index}"), verbose)
        history.update({f"member{index}_{k}": v for k, v in member_history.items()})
        bests.append(best_of(best))
    return build_ensemble(members), history, bests


def best_of(best) -> dict[str, Any]:
    """The best epoch (1-based) and its monitored value, as the checkpoint kept it."""
    epoch = None if best.best_epoch is None else best.best_epoch + 1
    return {"epoch": epoch, "monitor": best.monitor, "value": best.best}


def train(config: RunConfig, verbose: int = 2) -> dict[str, Any]:
    """Train ``config`` end to end; return the results (also in the run folder's results.json).

    Example::

        from tfreid.training.config import RunConfig
        from tfreid.training.engine import train

        config = RunConfig.for_method("batch", loss="multi_similarity", dataset=str(records_dir),
                                      epochs=1, steps_per_epoch=2, batch_size=8, image_size=40,
                                      embedding_dim=8, save_export=False)
        results = train(config, verbose=0)  # also in the run folder: logs/<run>/results.json
        results["test"]["mAP"], results["best_epoch"]
    """
    method = make_method(config)
    placement = Placement.of(config)
    if not placement.worker.is_chief:
        return _train_as_worker(method, placement, verbose)
    run = locate_run(config.method, config.to_dict(), method.run_prefix())
    with run.claim():
        if run.done:
            return export_finished_run(config, run, method.metric)
        started = time.time()
        try:
            export_dir = export_dir_of(config, run)
            if run.resumed:
                print(f"resuming run {run.name} in {run.path}", flush=True)
            data = load_reid_data(config, method.lonely, method.self_supervised,
                                  method.holds_out_validation())
            test_datasets = open_test_datasets(config)
            with placement.scope():
                encoder, history, bests = _train_members(method, run, data, verbose)
            encoder = method.inference_encoder(placement.detach(encoder))
            results = finish_run(method, encoder, data, run, export_dir, history, bests,
                                 time.time() - started, test_datasets)
            placement.end_together()
            return results
        except BaseException as error:
            run.discard_if_new()
            if isinstance(error, KeyboardInterrupt) and run.path.exists():
                error.add_note(f"run {run.name} is kept in {run.path}: rerun the same command "
                               "to resume it after its last finished epoch")
            raise


def _train_as_worker(method: Method, placement: Placement, verbose: int) -> dict[str, Any]:
    """A non-chief worker of a multi-worker run: train in step with the chief, write nothing
    of the run's (``placement``); its history."""
    config = method.config
    with worker_run(config) as run:
        data = load_reid_data(config, method.lonely, method.self_supervised,
                              method.holds_out_validation())
        with placement.scope():
            _, history, _ = _train_members(method, run, data, verbose=0)
    placement.end_together()
    return {"run": run.name, "worker": placement.worker.index, "history": history}


def export_path(config: RunConfig, run: RunFolder) -> Path | None:
    """Where the run's SavedModel goes (``--export``, else ``<home>/exports/<run>``, home
    being ``tfreid.io.home.tfreid_home()``), unchecked; None with ``--no-save-export``."""
    return Path(config.export or exports_root() / run.name) if config.save_export else None


def export_dir_of(config: RunConfig, run: RunFolder) -> Path | None:
    """Where the run's SavedModel goes, checked before training: it may be written there
    (``--overwrite`` replaces only a tfreid export) and lies apart from the run folder."""
    export_dir = export_path(config, run)
    if export_dir is None:
        return None
    check_not_nested({"--logdir": run.path, "--export": export_dir})
    check_new_output(export_dir, config.overwrite)
    ensure_writable_dir(export_dir.parent, "export folder")
    return export_dir


def finish_run(method: Method, encoder: keras.Model, data: dict[str, SplitArrays],
               run: RunFolder, export_dir: Path | None, history: dict[str, list[float]],
               bests: list[dict[str, Any]], seconds: float,
               test_datasets: Sequence[Dataset] = ()) -> dict[str, Any]:
    """Save the encoder, evaluate on the held-out query/gallery (and on each of
    ``test_datasets`` under its protocol, into ``test_datasets``), save the results, write
    the TensorBoard summaries (test scalars, HParams, Projector), then export.

    The trained encoder (``encoder.keras``) and ``results.json`` are written
    before the summaries and the export, so one that fails (no permission, full
    disk) loses nothing: the error says how to export the run again.
    """
    config = method.config
    run.save_encoder(encoder)
    embeddings = embed(encoder, data["query"].images), embed(encoder, data["gallery"].images)
    test = score_held_out(embeddings[0], data["query"], embeddings[1], data["gallery"],
                          method.metric, data.get("revisited"), config.seed)
    other_tests = [evaluate_model(encoder, dataset, metric=method.metric, progress=False)
                   for dataset in test_datasets]
    validation = data.get("validation")
    validation_ids = [] if validation is None else sorted(
        int(i) for i in set(validation.identities.tolist()))
    epochs = max((len(values) for values in history.values()), default=0)
    results = {
        "run": run.name, "method": config.method, "config": config.to_dict(),
        "logdir": str(run.path), "export": None,
        "epochs_run": epochs,
        "best_epoch": bests[0]["epoch"] if len(bests) == 1 else [b["epoch"] for b in bests],
        "best": bests, "train_seconds": seconds, "seconds_per_epoch": seconds / max(1, epochs),
        "metric": method.metric,
        "train_identities": len(set(data["train"].identities.tolist())),
        "validation_identities": validation_ids,
        "test": test.without_curve(), "test_cmc": test.cmc.tolist(),
        "chance": chance_scores(data["query"], data["gallery"], config.seed),
        "history": history,
    }
    if other_tests:
        results["test_datasets"] = other_tests
    run.save_results(results)
    run.finish()
    write_run_summaries(run.path, config.to_dict(), results["test"], epochs, embeddings,
                        data["query"], data["gallery"])
    if export_dir is not None:
        export_trained(encoder, run, export_dir, method.metric, config.overwrite)
        results["export"] = str(export_dir)
        run.save_results(results)
    return results


def export_trained(encoder: keras.Model, run: RunFolder, export_dir: Path, metric: str,
                   overwrite: bool) -> Path:
    """Export the saved run's ``encoder`` to ``export_dir``; a failure says how to export
    it again (the run itself is saved already)."""
    try:
        return export_saved_model(encoder, export_dir, metadata={"run": run.name,
                                                                 "metric": metric},
                                  overwrite=overwrite)
    except Exception as error:
        raise OutputError(
            f"run {run.name} is saved in {run.path} (encoder.keras, results.json), but "
            f"exporting it to {export_dir} failed: {describe(error)}; export it again by "
            f"rerunning the same command, or with: tfreid export {run.path} --float-only "
            f"--out {export_dir}"
        ) from None


def export_finished_run(config: RunConfig, run: RunFolder, metric: str) -> dict[str, Any]:
    """A rerun of a finished run (``run.done``): make its export if that is missing (the
    run was killed while exporting, or exported elsewhere) from its saved encoder, without
    training; refuse it if there is nothing to make. The results, updated with the export."""
    from tfreid.training.saved_run import load_run

    export_dir = export_path(config, run)
    if export_dir is None or export_dir.exists() or export_dir.is_symlink():
        exported = export_dir is not None and is_tfreid_output(export_dir)
        raise run.finished_error(f" and is exported to {export_dir}" if exported else "")
    export_dir_of(config, run)
    print(f"run {run.name} has finished already; exporting it to {export_dir}", flush=True)
    encoder, _, results = load_run(run.path)
    export_trained(encoder, run, export_dir, metric, config.overwrite)
    if results.get("export") != str(export_dir):
        results["export"] = str(export_dir)
        run.save_results(results)
    return results

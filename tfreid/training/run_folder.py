"""A run's folder: what it holds, who owns it, and how a rerun finds and resumes it.

``logs/<run-name>/`` holds:

* ``run.json``: method, settings and status (``training`` until the results
  are saved, then ``finished``);
* ``.lock``: locked by the process training the run; a second process given
  the same run is refused;
* ``resume/``: the per-epoch backup a killed run resumes from (removed when
  the run finishes);
* ``checkpoints/best/`` (the best epoch's weights), TensorBoard events (``train/``,
  ``validation/``), ``encoder.keras`` (as soon as training ends) and
  ``results.json``.

A run given by ``--run-name`` or ``--logdir`` resumes if that folder holds an
unfinished run of the same method and settings, and is refused if it holds
another run's settings or files tfreid did not write. A finished run of the same
settings opens ``done``: the engine makes its export if that is missing (a run
killed while exporting), else refuses it with ``finished_error``. Without
either, an unfinished run of the same method and settings in ``logs/`` whose
process is gone is resumed (rerunning the same command after a kill), else a
new ``<prefix>-<date>-<time>`` folder is made.
"""

import contextlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from tfreid.errors import ConfigError, OutputError
from tfreid.io.atomic import atomic_file, write_json
from tfreid.io.home import logs_root as default_logs_root
from tfreid.io.locks import exclusive_lock, is_locked
from tfreid.io.outputs import ensure_writable_dir
from tfreid.training.legacy_settings import upgrade_settings

RUN_FILE = "run.json"
LOCK_FILE = ".lock"
ENCODER_NAME = "encoder.keras"
RESULTS_NAME = "results.json"
NOT_SETTINGS = ("run_name", "logdir", "export", "save_export", "overwrite", "strategy",
                "input", "projector_every")


def check_run_name(name: str) -> str:
    """``name`` if it is one plain path component, else ConfigError."""
    separators = {"/", "\\", os.sep, os.altsep} - {None}
    if not name or name in (".", "..") or any(s in name for s in separators) or "\0" in name \
            or name.startswith(".") or len(name) > 200:
        raise ConfigError(f"run name {name!r} must be one plain folder name (no '/', not "
                          "starting with '.', at most 200 characters)")
    return name


def settings_of(config: dict[str, Any]) -> dict[str, Any]:
    """What makes two runs the same run: the settings, not where they are written."""
    return json.loads(json.dumps({k: v for k, v in config.items() if k not in NOT_SETTINGS}))


def same_settings(recorded: Any, settings: dict[str, Any]) -> bool:
    """Whether a run file's ``settings`` (of this or an older tfreid) are ``settings``."""
    return isinstance(recorded, dict) and upgrade_settings(recorded) == settings


def _read_run_file(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / RUN_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise OutputError(f"{path / RUN_FILE} is unreadable: {error}") from None


def resumable_runs(logs_root: Path, method: str, settings: dict[str, Any]) -> list[Path]:
    """Unfinished runs of ``method`` with ``settings`` in ``logs_root``, newest first."""
    if not logs_root.is_dir():
        return []
    found = []
    for path in logs_root.iterdir():
        try:
            record = _read_run_file(path) if path.is_dir() else None
        except OutputError:
            continue
        if record and record.get("status") == "training" and record.get("method") == method \
                and same_settings(record.get("settings"), settings) \
                and not is_locked(path / LOCK_FILE):
            found.append(path)
    return sorted(found, key=lambda p: (p / RUN_FILE).stat().st_mtime, reverse=True)


class RunFolder:
    """An open run folder, locked by this process until ``close``."""

    def __init__(self, path: Path, name: str, method: str, config: dict[str, Any]):
        self.path, self.name, self.method = path, name, method
        self.config = config
        self.settings = settings_of(config)
        self.resumed = False
        self.done = False
        self.created = False
        self.finished = False
        self._stack = contextlib.ExitStack()

    @property
    def resume_dir(self) -> Path:
        return self.path / "resume"

    def claim(self) -> "RunFolder":
        """Lock the folder and check it may hold this run; ``resumed`` says if it did before."""
        self.created = not self.path.exists()
        ensure_writable_dir(self.path, "run folder")
        self._stack.enter_context(exclusive_lock(
            self.path / LOCK_FILE, wait=False,
            busy=f"run {self.name} ({self.path}) is being trained by another tfreid process "
                 "(pid {pid}); choose another --run-name"))
        try:
            self._check_contents()
        except BaseException:
            self.close()
            raise
        return self

    def _check_contents(self) -> None:
        record = _read_run_file(self.path)
        if record is None:
            if any(p.name != LOCK_FILE for p in self.path.iterdir()):
                raise OutputError(f"{self.path} holds files that are not a tfreid run; choose "
                                  "another --run-name or --logdir")
            self._write_record("training")
            return
        same = record.get("method") == self.method and record.get("settings") == self.settings
        if record.get("status") == "finished":
            if not same:
                raise self.finished_error(", with other settings")
            self.done = True
            return
        if not same:
            raise OutputError(f"{self.path} holds an unfinished {record.get('method')} run with "
                              "other settings; rerun it with its own settings to resume it, or "
                              "choose another --run-name")
        self.resumed = True

    def finished_error(self, detail: str = "") -> OutputError:
        """The refusal to train this finished run again; it names the option that trains a
        new run instead (a free ``--run-name``, or ``--logdir`` if the run was given so)."""
        free = free_path(self.path)
        option = f"--logdir {free}" if self.config.get("logdir") else f"--run-name {free.name}"
        return OutputError(f"run {self.name} in {self.path} has finished already (see its "
                           f"{RESULTS_NAME}){detail}; to train a new run, rerun with {option}")

    def _write_record(self, status: str) -> None:
        write_json(self.path / RUN_FILE, {"method": self.method, "status": status,
                                          "settings": self.settings, "config": self.config})

    def save_encoder(self, encoder) -> Path:
        """Write the trained encoder (``encoder.keras``) atomically."""
        path = self.path / ENCODER_NAME
        with atomic_file(path) as temporary:
            encoder.save(temporary)
        return path

    def save_results(self, results: dict[str, Any]) -> Path:
        """Write ``results.json`` atomically."""
        write_json(self.path / RESULTS_NAME, results)
        return self.path / RESULTS_NAME

    def finish(self) -> None:
        """Mark the run finished and drop its resume backup (results are saved)."""
        self._write_record("finished")
        self.finished = True
        shutil.rmtree(self.resume_dir, ignore_errors=True)

    def discard_if_new(self) -> None:
        """Remove the folder if this process made it and no epoch finished: a failed start
        leaves nothing behind (what an epoch produced stays, for the rerun to resume)."""
        if self.created and not self.finished and not self.resume_dir.exists():
            self.close()
            shutil.rmtree(self.path, ignore_errors=True)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "RunFolder":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def free_path(path: Path) -> Path:
    """``<path>-2`` (or ``-3``, ...): the first such folder that does not exist."""
    count = 2
    while path.with_name(f"{path.name}-{count}").exists():
        count += 1
    return path.with_name(f"{path.name}-{count}")


def new_run_name(prefix: str, logs_root: Path) -> str:
    """``<prefix>-<date>-<time>``, with a counter if that folder exists already."""
    base = f"{prefix}-{datetime.now():%Y%m%d-%H%M%S}"
    name, count = base, 1
    while (logs_root / name).exists():
        count += 1
        name = f"{base}-{count}"
    return name


def named_run_path(config: dict[str, Any], logs_root: Path | None = None) -> Path | None:
    """The folder ``config`` names (``logdir``, or ``run_name`` in ``logs_root``, which
    defaults to ``tfreid.io.home.logs_root()``), or None."""
    run_name, logdir = config.get("run_name"), config.get("logdir")
    if run_name is not None:
        check_run_name(run_name)
    if logdir:
        return Path(logdir)
    return (logs_root or default_logs_root()) / run_name if run_name else None


def finished_results(method: str, config: dict[str, Any],
                     logs_root: Path | None = None) -> dict[str, Any] | None:
    """The results of the run ``config`` names if it has finished already with ``method`` and
    the same settings, else None: a sweep that lost a run's results line restores it from
    here instead of training the run again."""
    path = named_run_path(config, logs_root)
    record = _read_run_file(path) if path is not None and path.is_dir() else None
    if not record or record.get("status") != "finished" or record.get("method") != method \
            or not same_settings(record.get("settings"), settings_of(config)):
        return None
    try:
        return json.loads((path / RESULTS_NAME).read_text())
    except (OSError, ValueError) as error:
        raise OutputError(f"run {path.name} in {path} has finished, but its {RESULTS_NAME} is "
                          f"unreadable: {error}") from None


def locate_run(method: str, config: dict[str, Any], prefix: str,
               logs_root: Path | None = None) -> RunFolder:
    """The run folder for a run of ``method`` with ``config``, not yet claimed (module
    docstring): the one named, an unfinished one to resume, or a new one (in ``logs_root``,
    default ``tfreid.io.home.logs_root()``)."""
    logs_root = logs_root or default_logs_root()
    path = named_run_path(config, logs_root)
    if path is not None:
        return RunFolder(path, config.get("run_name") or path.name, method, config)
    resumable = resumable_runs(logs_root, method, settings_of(config))
    if resumable:
        return RunFolder(resumable[0], resumable[0].name, method, config)
    name = new_run_name(prefix, logs_root)
    return RunFolder(logs_root / name, name, method, config)

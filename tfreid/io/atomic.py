"""Write-then-rename: nothing half-written ever sits under a final name.

* ``atomic_file(path)``: a temporary file beside ``path``, fsynced and renamed
  over it on success, removed on failure; errors name ``path``, never the
  temporary file.
* ``atomic_directory(final)``: a staging folder beside ``final``, moved into
  place when complete; an existing ``final`` is replaced only as
  ``tfreid.io.outputs.check_new_output`` allows. The finished folder carries
  ``OUTPUT_MARKER``, so tfreid knows it as its own later.

Temporary names are hidden and carry this process's id (``tfreid.io.staging``),
so what a killed process left behind is cleaned up by the next one.
"""

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tfreid.errors import OutputError, disk_full_line, is_disk_full
from tfreid.io.outputs import OUTPUT_MARKER, check_new_output, check_parent_folder
from tfreid.io.staging import OWNER_NAME, final_name, make_staging_dir, process_alive


def _remove_stale_temporary_files(path: Path) -> None:
    prefix = f".{path.stem}.tmp-"
    for stale in path.parent.glob(f"{prefix}*{path.suffix}"):
        try:
            pid = int(stale.name[len(prefix):].split("-", 1)[0])
        except ValueError:
            continue
        if stale.is_file() and not process_alive(pid, None):
            stale.unlink(missing_ok=True)


def _writing_error(path: Path, temporary: Path, error: BaseException) -> OutputError | None:
    """The OutputError naming ``path`` (not ``temporary``) for a failed write, if it is one."""
    final = final_name(path)  # inside a staging folder: the folder's final name
    if is_disk_full(error):
        return OutputError(disk_full_line(error, final))
    if isinstance(error, OSError) and error.filename in (str(temporary), temporary):
        return OutputError(f"cannot write {final}: {error.strerror or error}")
    return None


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The temporary name keeps ``path``'s suffix (Keras picks a format by it). A
    missing folder, a full disk or an OS refusal to write the temporary file is an
    ``OutputError`` that names ``path``.
    """
    path = Path(path)
    check_parent_folder(path)
    _remove_stale_temporary_files(path)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    temporary = path.parent / f".{path.stem}.tmp-{token}{path.suffix}"
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        translated = _writing_error(path, temporary, error)
        if translated is None:
            raise
        raise translated from None


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_file(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, payload: Any) -> None:
    """Write ``payload`` as indented JSON atomically (NumPy scalars as floats)."""
    write_text(path, json.dumps(payload, indent=2, default=float) + "\n")


def _mark(staging: Path, kind: str) -> None:
    from tfreid import __version__

    (staging / OUTPUT_MARKER).write_text(json.dumps({"kind": kind, "tfreid": __version__}) + "\n")


@contextlib.contextmanager
def atomic_directory(final: str | os.PathLike, overwrite: bool = False,
                     kind: str = "output") -> Iterator[Path]:
    """Yield a staging folder beside ``final``; move it into place on success.

    On an exception the staging folder is removed and ``final`` is left as it
    was. With ``overwrite`` an existing tfreid output at ``final`` is replaced
    only once the new content is complete (``check_new_output`` says when an
    existing ``final`` may be replaced at all).
    """
    final = Path(final)
    check_new_output(final, overwrite)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = make_staging_dir(final)
    try:
        yield staging
        _mark(staging, kind)
        check_new_output(final, overwrite)
        if final.exists():
            retired = make_staging_dir(final, "old")
            final.rename(retired / final.name)
            staging.rename(final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    (final / OWNER_NAME).unlink(missing_ok=True)

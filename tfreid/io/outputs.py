"""Checks before tfreid writes an output: never replace what tfreid did not write.

An output folder tfreid made carries ``OUTPUT_MARKER`` (older ones a tfreid
``manifest.json`` or ``tfreid.json``). An existing output is replaced only with
``overwrite`` and only if it is tfreid's own (or empty); a file where a folder
is wanted, or a folder of someone else's files, is never replaced.
"""

import json
import os
import secrets
from pathlib import Path

from tfreid.errors import OutputError

OUTPUT_MARKER = ".tfreid-output"
LEGACY_MARKERS = ("tfreid.json", "run.json")


def is_tfreid_output(path: Path) -> bool:
    """True if folder ``path`` was written by tfreid (marker, manifest or export metadata)."""
    if (path / OUTPUT_MARKER).is_file() or any((path / m).is_file() for m in LEGACY_MARKERS):
        return True
    try:
        return json.loads((path / "manifest.json").read_text()).get(
            "format", "").startswith("tfreid-")
    except (OSError, ValueError, AttributeError):
        return False


def check_new_output(final: str | os.PathLike, overwrite: bool = False) -> None:
    """OutputError unless ``final`` may be written: it does not exist, or ``overwrite`` is
    set and it is an empty folder or a folder tfreid wrote."""
    final = Path(final)
    if not (final.exists() or final.is_symlink()):
        return
    if not final.is_dir():
        raise OutputError(f"{final} exists and is not a folder; choose another path")
    if not overwrite:
        raise OutputError(f"{final} already exists; use --overwrite to replace it")
    if any(final.iterdir()) and not is_tfreid_output(final):
        raise OutputError(f"{final} holds files tfreid did not write, so it is never replaced; "
                          "choose another path")


def check_parent_folder(path: str | os.PathLike) -> None:
    """OutputError unless the folder that is to hold file ``path`` exists."""
    path = Path(path)
    folder = path.parent
    if folder.is_dir():
        return
    if folder.exists():
        raise OutputError(f"cannot write {path}: {folder} is not a folder; choose another path")
    raise OutputError(f"cannot write {path}: the folder {folder} does not exist; create it or "
                      "choose another path")


def check_not_nested(paths: dict[str, str | os.PathLike]) -> None:
    """OutputError if two of the named output folders are the same or one holds the other."""
    resolved = {name: Path(path).resolve() for name, path in paths.items() if path is not None}
    names = list(resolved)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            a, b = resolved[first], resolved[second]
            if a == b or a.is_relative_to(b) or b.is_relative_to(a):
                raise OutputError(f"{first} {paths[first]} and {second} {paths[second]} may not "
                                  "be the same folder or lie inside each other")


def ensure_writable_dir(path: str | os.PathLike, what: str) -> Path:
    """Create folder ``path`` (and parents) if needed and prove it writable, or OutputError."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{what} {path} exists and is not a folder")
    probe = path / f".tfreid-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise OutputError(f"cannot write {what} {path}: {error.strerror or error}") from None
    return path

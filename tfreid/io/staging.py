"""Staging folders and their owners: what a dead tfreid process left behind may be removed.

A staging folder (``.<name>.partial-<pid>-<token>``, or ``.<name>.old-...`` for
an output being replaced) holds ``OWNER_NAME``: the host, process id and
process start time of the tfreid process that made it. A later process removes
such a folder only when it is on the same host and that process is gone (or
the process id now belongs to a process started at another time). Folders
without the owner file were not made by tfreid and are never touched.

``final_name`` turns a path inside a staging folder or a temporary file
(``tfreid.io.atomic``: ``.<stem>.tmp-<pid>-<token><suffix>``; a shard's
``<name>.tmp``) into the path it will have when complete, for messages.
"""

import json
import os
import re
import secrets
import shutil
import socket
from pathlib import Path

OWNER_NAME = ".tfreid-staging.json"
KINDS = ("partial", "old")
_STAGING = re.compile(rf"^\.(.+)\.(?:{'|'.join(KINDS)})-\d+-[0-9a-f]+$")
_TEMPORARY = re.compile(r"^\.(.+)\.tmp-\d+-[0-9a-f]+(\.[^.]+)?$")


def _final_part(part: str) -> str:
    staging, temporary = _STAGING.match(part), _TEMPORARY.match(part)
    if staging:
        return staging.group(1)
    if temporary:
        return temporary.group(1) + (temporary.group(2) or "")
    return part


def final_name(path: str | os.PathLike) -> str:
    """``path`` with staging folders and temporary file names replaced by the final ones:
    ``d/.ds.partial-7-ab/x.tfrecord.tmp`` -> ``d/ds/x.tfrecord``."""
    parts = [_final_part(part) for part in str(path).split(os.sep)]
    if parts[-1].endswith(".tmp") and len(parts[-1]) > len(".tmp"):
        parts[-1] = parts[-1][:-len(".tmp")]
    return os.sep.join(parts)


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (Linux /proc), or None if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int, start_time: str | None) -> bool:
    """True while process ``pid`` runs and, where known, started at ``start_time``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    current = process_start_time(pid)
    return start_time is None or current is None or current == start_time


def owner_record() -> dict:
    """Who this process is, as written into its staging folders."""
    return {"host": socket.gethostname(), "pid": os.getpid(),
            "start_time": process_start_time(os.getpid())}


def make_staging_dir(final: Path, kind: str = "partial") -> Path:
    """A new, empty staging folder beside ``final`` (mode from the umask), with its owner."""
    if kind not in KINDS:
        raise ValueError(f"staging kind must be one of {KINDS}")
    remove_stale_staging(final)
    path = final.parent / f".{final.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
    path.mkdir()
    (path / OWNER_NAME).write_text(json.dumps(owner_record()) + "\n")
    return path


def _owned_by_dead_process(path: Path) -> bool:
    try:
        owner = json.loads((path / OWNER_NAME).read_text())
        pid, host = int(owner["pid"]), owner["host"]
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no owner file: not made by tfreid, never touched
    if host != socket.gethostname():
        return False
    return not process_alive(pid, owner.get("start_time"))


def remove_stale_staging(final: Path) -> list[Path]:
    """Remove the staging folders of ``final`` left by dead tfreid processes; their paths."""
    removed = []
    if not final.parent.is_dir():
        return removed
    for kind in KINDS:
        for path in final.parent.glob(f".{final.name}.{kind}-*"):
            if path.is_dir() and _owned_by_dead_process(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed

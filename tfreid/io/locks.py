"""Advisory file locks (``flock``): one tfreid process at a time per run or dataset."""

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from tfreid.errors import OutputError

try:
    import fcntl
except ImportError:  # not POSIX: no locking
    fcntl = None


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, wait: bool = True,
                   busy: str = "{path} is in use by another tfreid process") -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) for the ``with`` block.

    With ``wait`` the block waits for the holder to finish; without, OutputError
    ``busy`` (formatted with ``path`` and the holder's ``pid``) at once.
    """
    path = Path(path)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise OutputError(busy.format(path=path, pid=_holder(path))) from None
        os.ftruncate(handle, 0)
        os.write(handle, json.dumps({"pid": os.getpid()}).encode())
        yield
    finally:
        os.close(handle)


def _holder(path: Path) -> str:
    try:
        return str(json.loads(path.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


def is_locked(path: str | os.PathLike) -> bool:
    """True if another process holds the lock on ``path`` now."""
    if fcntl is None or not Path(path).exists():
        return False
    handle = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(handle)

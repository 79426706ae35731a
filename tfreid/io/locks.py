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
    ``busy`` (formatted with ``path`` and the holder's ``pid``) at once. The lock file
    does not outlive the block: it is removed on release while still locked, so a
    process that was waiting on it finds it gone and locks the path afresh.
    """
    path = Path(path)
    handle = _locked_handle(path, wait, busy)
    try:
        os.ftruncate(handle, 0)
        os.write(handle, json.dumps({"pid": os.getpid()}).encode())
        yield
    finally:
        try:
            if _same_file(handle, path):  # still ours: nobody else can hold it meanwhile
                path.unlink()
        except OSError:
            pass
        os.close(handle)


def _locked_handle(path: Path, wait: bool, busy: str) -> int:
    """A descriptor of ``path`` that holds its lock, the file still at ``path``."""
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
                except BlockingIOError:
                    raise OutputError(busy.format(path=path, pid=_holder(path))) from None
            if fcntl is None or _same_file(handle, path):
                return handle
        except BaseException:
            os.close(handle)
            raise
        os.close(handle)  # the holder removed the file on release: lock the new one


def _same_file(handle: int, path: Path) -> bool:
    """True if ``path`` is still the file open as ``handle``."""
    try:
        here = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(handle)
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


def _holder(path: Path) -> str:
    try:
        return str(json.loads(path.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


def is_locked(path: str | os.PathLike) -> bool:
    """True if another process holds the lock on ``path`` now."""
    if fcntl is None:
        return False
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:  # no lock file: nobody holds it (released locks remove theirs)
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(handle)

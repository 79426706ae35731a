"""User-facing errors: each carries one line that names the problem."""

import contextlib
import errno
import re
import sys
from collections.abc import Iterator

_TF_FRAGMENTS = (re.compile(r"\{\{function_node [^}]*\}\}"), re.compile(r"\[\[\{\{node [^]]*\]\]"))


def one_line(text: str) -> str:
    """The first non-empty line of ``text``, without TensorFlow's graph-node fragments."""
    for pattern in _TF_FRAGMENTS:
        text = pattern.sub("", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[0].split()) if lines else ""


class TfreidError(Exception):
    """Base class of the errors tfreid reports to users in one line."""


class DataError(TfreidError):
    """A dataset, TFRecord, image or split that cannot be used as it is."""


class ConfigError(TfreidError):
    """An option or argument value that tfreid does not accept."""


class MissingArgumentsError(ConfigError, TypeError):
    """A class built without the arguments it has no default for (``keras.losses.get`` of
    a loss's bare name, say): a ConfigError and, as Python's own, a TypeError."""


class TrainingError(TfreidError):
    """Training that cannot go on (for example a loss that became NaN)."""


class OutputError(TfreidError):
    """An output path tfreid may not or cannot write: it exists, it is not tfreid's,
    it is in use, or the file system refuses."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM ended the command; ``signal_number`` says which."""

    def __init__(self, signal_number: int, message: str = ""):
        super().__init__(message)
        self.signal_number = signal_number


_NO_SPACE = "No space left on device"
# where TensorFlow ("PATH; No space left on device") and faiss ("write error in PATH: ...")
# name the file they were writing
_WRITTEN_PATH = (re.compile(rf"^(.+?); {_NO_SPACE}"), re.compile(r"write error in (.+?): \d"))


def is_disk_full(error: BaseException) -> bool:
    """True if ``error`` says the disk is full: ENOSPC, or TensorFlow's or faiss's words."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    return _NO_SPACE in str(error)


def _written_path(error: BaseException) -> str | None:
    if isinstance(error, OSError) and error.filename is not None:
        return str(error.filename)
    for pattern in _WRITTEN_PATH:
        found = pattern.search(one_line(str(error)))
        if found:
            return found.group(1)
    return None


def disk_full_line(error: BaseException, what: str | None = None) -> str:
    """'the disk is full while writing WHAT (FILE); free space and run again', with the
    file by its final name rather than a temporary one."""
    from tfreid.io.staging import final_name

    path = _written_path(error)
    path = final_name(path) if path is not None else None
    path = None if path == what else path
    target = f"{what} ({path})" if what and path else what or path
    written = f" while writing {target}" if target else ""
    return f"the disk is full{written}; free space and run again"


@contextlib.contextmanager
def naming_a_full_disk(what: str) -> Iterator[None]:
    """Turn a full disk inside the block into an ``OutputError`` naming ``what``
    (``disk_full_line``); other errors pass through."""
    try:
        yield
    except Exception as error:
        if not is_disk_full(error):
            raise
        raise OutputError(disk_full_line(error, what)) from None


def describe(error: BaseException) -> str:
    """One line naming the problem any exception stands for (tfreid's, the OS's, TF's...)."""
    if isinstance(error, TfreidError):
        return one_line(str(error))
    if is_disk_full(error):
        return disk_full_line(error)
    if isinstance(error, OSError):
        what = error.strerror or one_line(str(error)) or type(error).__name__
        names = [str(n) for n in (error.filename, error.filename2) if n is not None]
        return f"{what}: {', '.join(names)}" if names else what
    if isinstance(error, MemoryError):
        return "out of memory; try a smaller --batch-size or --image-size"
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(error, tf.errors.OpError):
        return f"TensorFlow {type(error).__name__}: {one_line(error.message)}"
    return f"{type(error).__name__}: {one_line(str(error))}"

"""User-facing errors: each carries one line that names the problem."""

import errno
import re
import sys

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


def describe(error: BaseException) -> str:
    """One line naming the problem any exception stands for (tfreid's, the OS's, TF's...)."""
    if isinstance(error, TfreidError):
        return one_line(str(error))
    if isinstance(error, OSError):
        what = "no space left on device" if error.errno == errno.ENOSPC else (
            error.strerror or one_line(str(error)) or type(error).__name__)
        names = [str(n) for n in (error.filename, error.filename2) if n is not None]
        return f"{what}: {', '.join(names)}" if names else what
    if isinstance(error, MemoryError):
        return "out of memory; try a smaller --batch-size or --image-size"
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(error, tf.errors.OpError):
        return f"TensorFlow {type(error).__name__}: {one_line(error.message)}"
    return f"{type(error).__name__}: {one_line(str(error))}"

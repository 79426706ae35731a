"""Keeping TensorFlow's native start-up messages off the user's terminal.

TensorFlow's C++ libraries print their start-up lines (oneDNN, CUDA stubs,
CPU features, ``failed call to cuInit`` without a GPU) before absl logging is
initialised, so ``TF_CPP_MIN_LOG_LEVEL`` does not hold them back. While
TensorFlow loads and looks for GPUs, file descriptor 2 is pointed at a
temporary file, which is shown only if loading fails. A user who set
``TF_CPP_MIN_LOG_LEVEL`` to 0 or 1 asked for those logs and gets them;
otherwise the level defaults to 2 (warnings and errors of TensorFlow's own
operations still show).
"""

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


def user_wants_native_logs() -> bool:
    """True if the user set TF_CPP_MIN_LOG_LEVEL to 0 or 1."""
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip() in ("0", "1")


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Hold back what native code writes to stderr inside the block (module docstring)."""
    if user_wants_native_logs():
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)

"""Every failure of a command ends in one ``error: ...`` line on stderr.

Exit status 2 for every error: tfreid's own (``TfreidError``), the operating
system's (no permission, read-only or full disk, a file where a folder is
wanted), TensorFlow's, PIL's, NumPy's, or any other exception. SIGINT and
SIGTERM (what a scheduler or ``docker stop`` sends) end the command the same
way, with 130 and 143: staging folders are removed on the way out, and a run
resumes when the same command runs again. ``TFREID_DEBUG=1`` shows the
traceback instead, for bug reports.
"""

import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable

from tfreid.errors import Interrupted, describe, one_line


def _notes(error: BaseException) -> str:
    return "".join(f"; {note}" for note in getattr(error, "__notes__", ()))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, UserWarning | RuntimeWarning) and not issubclass(
            category, DeprecationWarning | PendingDeprecationWarning | FutureWarning):
        print(f"warning: {one_line(str(message))}", file=sys.stderr, flush=True)


def _raise_interrupted(signal_number: int, frame) -> None:
    raise Interrupted(signal_number)


def run_cli(command: Callable[[], int]) -> int:
    """Run ``command`` with the one-line error contract (module docstring)."""
    debug = os.environ.get("TFREID_DEBUG", "") not in ("", "0")
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupted) if in_main else None
    show = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return command()
    except KeyboardInterrupt as error:
        number = getattr(error, "signal_number", signal.SIGINT)
        name = "terminated (SIGTERM)" if number == signal.SIGTERM else "interrupted"
        print(f"error: {name}; nothing was left half-written{_notes(error)}", file=sys.stderr)
        return 128 + number
    except Exception as error:
        if debug:
            raise
        print(f"error: {describe(error)}{_notes(error)}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = show
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

"""Shell command lines in the docs and in docstrings' ``Command::`` blocks, checked
against tfreid's command-line interface: the command must exist and every ``--flag`` must
be in its ``--help`` (printed in-process for the command, ``make-tfrecords``' source and
``--method M``; the commands are never run)."""

import contextlib
import io
import re
import shlex

import pytest

ENVIRONMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def command_lines(source: str, console: bool = False) -> list[str]:
    """The command lines of a shell block: ``\\`` continuations joined, comments and blank
    lines left out; with ``console`` only the lines after ``$ ``."""
    lines, joined = [], ""
    for line in source.splitlines():
        if console:
            if not (line.startswith("$ ") or joined):
                continue
            line = line.removeprefix("$ ")
        if line.rstrip().endswith("\\"):
            joined += line.rstrip()[:-1] + " "
            continue
        line, joined = joined + line, ""
        if line.strip() and not line.strip().startswith("#"):
            lines.append(line.strip())
    return lines


def tfreid_argv(line: str) -> list[str] | None:
    """The arguments after ``tfreid`` of a command line that runs it (after ``NAME=value``
    settings and a leading ``$ ``), else None."""
    argv = [word for word in shlex.split(line.removeprefix("$ "), comments=True)
            if word != "&"]
    while argv and ENVIRONMENT.match(argv[0]):
        argv = argv[1:]
    return argv[1:] if argv[:1] == ["tfreid"] else None


def help_arguments(argv: list[str]) -> list[str]:
    """The arguments that choose which ``--help`` applies to ``tfreid <argv>``: the command,
    ``make-tfrecords``' source and ``--method M`` (whose own flags its help adds); not the
    other values, which may be placeholders (``exports/<run>``) or a documented mistake."""
    chosen = [argv[0]]
    if argv[0] == "make-tfrecords" and len(argv) > 1 and not argv[1].startswith("-"):
        chosen.append(argv[1])
    for position, word in enumerate(argv[:-1]):
        if word == "--method":
            chosen += ["--method", argv[position + 1]]
    return chosen


def help_text(argv: list[str]) -> str:
    """What ``tfreid <help_arguments(argv)> --help`` prints (in-process; no TensorFlow)."""
    from tfreid.catalog import COMMANDS

    arguments = help_arguments(argv)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), \
            pytest.raises(SystemExit) as stop:
        COMMANDS.get(arguments[0])([*arguments[1:], "--help"])
    assert stop.value.code == 0, f"tfreid {' '.join(arguments)} --help exits {stop.value.code}"
    return out.getvalue()


def line_problems(line: str, where: str) -> list[str]:
    """What is wrong with a ``tfreid`` command line (nothing: []; not a tfreid line, or
    ``tfreid -h`` / ``--version``: [])."""
    from tfreid.catalog import COMMANDS

    argv = tfreid_argv(line)
    if not argv or argv[0].startswith("-"):
        return []
    if argv[0] not in COMMANDS:
        return [f"{where}: tfreid has no command {argv[0]!r}"]
    text = help_text(argv)
    return [f"{where}: tfreid {argv[0]} has no option {flag}"
            for flag in (arg.split("=")[0] for arg in argv[1:] if arg.startswith("--"))
            if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text)]

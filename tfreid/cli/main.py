"""The ``tfreid`` console command: ``tfreid <command> [options]``.

The commands are ``tfreid.catalog.COMMANDS``: a new one is its module's ``main(argv)``
plus one line there."""

import sys
from collections.abc import Sequence

from tfreid.catalog import COMMANDS
from tfreid.errors import ConfigError


def usage() -> str:
    """The command list with one line each."""
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: tfreid <command> [options]   (tfreid <command> --help for its options)",
             "", "commands:"]
    lines += [f"  {name:<{width}}  {COMMANDS.describe(name)}" for name in COMMANDS]
    lines += ["", "  --version  print the version and exit"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(usage())
        return 0
    if argv[:1] in (["--version"], ["-V"]):
        from tfreid import __version__

        print(f"tfreid {__version__}")
        return 0
    if not argv:
        print(f"error: choose one of: {', '.join(COMMANDS)} (see tfreid --help)",
              file=sys.stderr)
        return 2
    try:
        COMMANDS.check(argv[0])
    except ConfigError as error:
        print(f"error: {error} (see tfreid --help)", file=sys.stderr)
        return 2
    return COMMANDS.get(argv[0])(argv[1:])

"""Turning tfreid's errors into one line on stderr and a non-zero exit."""

import sys
from collections.abc import Callable

from tfreid.errors import TfreidError


def run_cli(command: Callable[[], int]) -> int:
    """Run ``command``; a TfreidError becomes 'error: <message>' and exit status 2."""
    try:
        return command()
    except TfreidError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was left half-written", file=sys.stderr)
        return 130

"""The ``tfreid`` console command: ``tfreid <command> [options]``."""

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "train-siamese": "tfreid.cli.train_siamese",
    "make-tfrecords": "tfreid.cli.make_tfrecords",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: tfreid {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])

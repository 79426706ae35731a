"""The ``tfreid`` console command: ``tfreid <command> [options]``."""

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "train-siamese": ("tfreid.cli.train_siamese", "main"),
    "train-triplet": ("tfreid.cli.train_triplet", "main"),
    "train-ensemble": ("tfreid.cli.train_triplet", "ensemble_main"),
    "make-tfrecords": ("tfreid.cli.make_tfrecords", "main"),
    "experiment": ("tfreid.cli.experiment", "main"),
    "correlation-graph": ("tfreid.cli.correlation_graph", "main"),
    "pairwise-vs-triplet": ("tfreid.cli.pairwise_vs_triplet", "main"),
    "compress": ("tfreid.cli.compress", "main"),
    "export": ("tfreid.cli.export", "main"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: tfreid {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    module, function = COMMANDS[argv[0]]
    return getattr(importlib.import_module(module), function)(argv[1:])

"""The ``tfreid`` console command: ``tfreid <command> [options]``."""

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "train": ("tfreid.cli.train", "main", "train with any method (--method; see its --help)"),
    "train-siamese": ("tfreid.cli.train_siamese", "main",
                      "Siamese twin network on pairs or P x K batches (paper 004)"),
    "train-triplet": ("tfreid.cli.train_triplet", "main",
                      "triplets or a batch loss on P x K batches (paper 000)"),
    "train-ensemble": ("tfreid.cli.train_triplet", "ensemble_main",
                       "ensemble of independent triplet submodels (paper 000)"),
    "train-selfsup": ("tfreid.cli.train_selfsup", "main",
                      "self-supervised: Spreading, InsCLR, STML (paper 003)"),
    "make-tfrecords": ("tfreid.cli.make_tfrecords", "main",
                       "import or generate a dataset as TFRecord shards"),
    "experiment": ("tfreid.cli.experiment", "main",
                   "a study of paper 000 over identity-disjoint folds, resumable"),
    "pairwise-vs-triplet": ("tfreid.cli.pairwise_vs_triplet", "main",
                            "paper 002's 12-scenario augmentation study"),
    "selfsup-study": ("tfreid.cli.selfsup_study", "main",
                      "thesis 003's study of the self-supervised methods, resumable"),
    "compress": ("tfreid.cli.compress", "main",
                 "paper 001's compression sweep: slicing, low-rank, pruning, QAT"),
    "export": ("tfreid.cli.export", "main",
               "deployment exports of a run: float and QAT SavedModels, TFLite int8"),
    "correlation-graph": ("tfreid.cli.correlation_graph", "main",
                          "paper 000's feature correlation graph of an export"),
    "embed": ("tfreid.cli.embed", "main",
              "images through an export -> embeddings (.npz) or a search index"),
    "search": ("tfreid.cli.search", "main",
               "query images against an index -> top-k table and ranked image"),
    "evaluate": ("tfreid.cli.evaluate", "main",
                 "an export on a dataset -> rank-k, mAP, MAP@R, NMI, mAC, CF ..."),
}


def usage() -> str:
    """The command list with one line each."""
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: tfreid <command> [options]   (tfreid <command> --help for its options)",
             "", "commands:"]
    lines += [f"  {name:<{width}}  {description}" for name, (_, _, description) in
              COMMANDS.items()]
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
    if not argv or argv[0] not in COMMANDS:
        wrong = f"unknown command {argv[0]!r}; " if argv else ""
        print(f"error: {wrong}choose one of: {', '.join(COMMANDS)} (see tfreid --help)",
              file=sys.stderr)
        return 2
    module, function, _ = COMMANDS[argv[0]]
    return getattr(importlib.import_module(module), function)(argv[1:])

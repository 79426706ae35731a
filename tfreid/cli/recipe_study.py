"""``recipe_study``: the bag-of-tricks recipe beside the pair, triplet and margin-softmax
losses on one training budget, resumably."""

import argparse
from collections.abc import Sequence
from pathlib import Path

from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import logs_root, tfrecords_root, under_home
from tfreid.option_types import seed

DATASETS = ("surfaces", "surfaces-wide", "fashion-mnist")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="tfreid recipe-study",
        description="The quickstart, batch-hard triplet, Multi-Similarity, the bag-of-tricks "
        "recipe (BoT) with its ablations, identity-only, ArcFace and circle-softmax, each "
        "trained on the same budget: held-out rank-1, mAP, mINP and MAP@R.")
    add = parser.add_argument
    add("--quick", action="store_true", help="small data, 6 x 15 steps: minutes on 2 CPU cores")
    add("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS),
        help="the default and wide-view surface sets, Fashion-MNIST classes 0-4 / 5-9 "
             "(written to --data-root on first use)")
    add("--seeds", nargs="+", type=seed, default=[0, 1],
        help="every row at the first seed; the quickstart, BoT and the best other row at all")
    add("--data-root", default=str(tfrecords_root()),
        help="where the study's datasets are read or written")
    add("--out", help=f"results folder (default: {under_home('logs', 'experiments', 'recipes')}"
                      "[-quick])")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.experiments.recipe_report import write_report
        from tfreid.experiments.recipe_study import run_study

        out = Path(args.out or logs_root() / "experiments" / ("recipes" + "-quick" * args.quick))
        rows = run_study(tuple(args.datasets), tuple(args.seeds), Path(args.data_root), out,
                         args.quick)
        paths = write_report(rows, out)
        print(paths["table"].read_text())
        print("written:", ", ".join(str(p) for p in paths.values()))
        return 0

    return run_cli(command)

"""``selfsup_study``: thesis 003's comparison of the self-supervised methods, resumably."""

import argparse
from collections.abc import Sequence
from pathlib import Path

from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import logs_root, tfrecords_root, under_home
from tfreid.option_types import seed

DATASETS = ("fashion-mnist", "digits", "surfaces", "surfaces-wide")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="tfreid selfsup-study",
        description="Spreading, InsCLR and STML from scratch and from a pre-trained start, "
        "against the supervised upper bound and the untrained / pre-trained floor, on "
        "Fashion-MNIST and digits (classes 0-4 train, 5-9 test) and the surface sets: R@k, "
        "NMI, mAP, mAP E / M / H, seconds per epoch.")
    add = parser.add_argument
    add("--quick", action="store_true", help="small data and 6 epochs: minutes on 2 CPU cores")
    add("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS),
        help="datasets of the study (written to --data-root on first use)")
    add("--seeds", nargs="+", type=seed, default=[0, 1],
        help="each scenario once per seed; the table gives mean and std over seeds")
    add("--data-root", default=str(tfrecords_root()),
        help="where the study's datasets are written")
    add("--out", help=f"results folder (default: {under_home('logs', 'experiments', 'selfsup')}"
                      "[-quick])")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.experiments.self_supervised_report import write_report
        from tfreid.experiments.self_supervised_study import run_study

        out = Path(args.out or logs_root() / "experiments" / ("selfsup" + "-quick" * args.quick))
        rows = run_study(tuple(args.datasets), tuple(args.seeds), Path(args.data_root), out,
                         args.quick)
        paths = write_report(rows, out)
        print(paths["table"].read_text())
        print("written:", ", ".join(str(p) for p in paths.values()))
        return 0

    return run_cli(command)

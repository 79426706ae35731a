"""What the studies over data sets and seeds share on the command line (``selfsup-study``,
``recipe-study``): their arguments, and running one into its folder with its report."""

import argparse
from collections.abc import Callable
from pathlib import Path

from tfreid.cli.errors import run_cli
from tfreid.io.home import logs_root, tfrecords_root, under_home
from tfreid.option_types import seed


def add_study_arguments(parser: argparse.ArgumentParser, datasets: tuple[str, ...],
                        name: str, quick_help: str, datasets_help: str,
                        seeds_help: str) -> None:
    """--quick, --datasets, --seeds (default 0 1), --data-root and --out of study ``name``."""
    add = parser.add_argument
    add("--quick", action="store_true", help=quick_help)
    add("--datasets", nargs="+", choices=datasets, default=list(datasets), help=datasets_help)
    add("--seeds", nargs="+", type=seed, default=[0, 1], help=seeds_help)
    add("--data-root", default=str(tfrecords_root()),
        help="where the study's datasets are read or written")
    add("--out", help=f"results folder (default: {under_home('logs', 'experiments', name)}"
                      "[-quick])")


def run_study_command(args: argparse.Namespace, name: str,
                      run_and_report: Callable[[], tuple[Callable, Callable]]) -> int:
    """Run the study (``run_and_report()`` gives its ``run_study`` and ``write_report``,
    imported when it runs) into ``--out``, print its table and what was written."""

    def command() -> int:
        run_study, write_report = run_and_report()
        out = Path(args.out or logs_root() / "experiments" / (name + "-quick" * args.quick))
        rows = run_study(tuple(args.datasets), tuple(args.seeds), Path(args.data_root), out,
                         args.quick)
        paths = write_report(rows, out)
        print(paths["table"].read_text())
        print("written:", ", ".join(str(p) for p in paths.values()))
        return 0

    return run_cli(command)

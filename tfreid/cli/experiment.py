"""``experiment``: run one of paper 000's studies, resumably, and draw its figures."""

import argparse
from collections.abc import Sequence
from pathlib import Path

from tfreid.catalog import STUDIES
from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import logs_root, under_home
from tfreid.option_types import int_in, seed


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="tfreid experiment", description="Sweep one setting of the triplet model over "
                                       "identity-disjoint folds (paper 000's studies).")
    add = parser.add_argument
    add("--study", required=True, choices=sorted(STUDIES), help="the setting to sweep")
    add("--quick", action="store_true", help="small settings: minutes on 2 CPU cores")
    add("--values", nargs="+", help="values to sweep (default: the study's)")
    add("--folds", type=int_in(2), help="number of folds (default: 5, or 2 with --quick)")
    add("--dataset", help="tfreid dataset directory (default: the embedded surface set)")
    add("--seed", type=seed, default=0, help="seed of every run")
    add("--out", help=f"results folder (default: {under_home('logs', 'experiments')}/"
                      "<study>[-quick])")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.experiments import get_study, run_sweep
        from tfreid.experiments.report import write_sweep_report
        from tfreid.training.config import RunConfig
        from tfreid.training.engine import train

        study = get_study(args.study)
        base, values, folds = study.settings(args.quick)
        folds = args.folds or folds
        out = Path(args.out or logs_root() / "experiments" / (study.name + "-quick" * args.quick))
        config = RunConfig.for_method("triplet", dataset=args.dataset, seed=args.seed, **base)
        values = [study.parse_value(text) for text in args.values] if args.values else values
        variants = [{study.field: value} for value in values]
        rows = run_sweep(config, variants, folds, out / "results.jsonl",
                         lambda c: train(c, verbose=0), out / "runs")
        paths = write_sweep_report(study, rows, out, base)
        print(paths["summary"].read_text())
        print("figures:", ", ".join(str(p) for k, p in paths.items() if k != "summary"))
        return 0

    return run_cli(command)

"""``selfsup_study``: thesis 003's comparison of the self-supervised methods, resumably."""

import argparse
from collections.abc import Sequence

from tfreid.cli.dataset_studies import add_study_arguments, run_study_command
from tfreid.cli.parsing import ArgumentParser

DATASETS = ("fashion-mnist", "digits", "surfaces", "surfaces-wide")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="tfreid selfsup-study",
        description="Spreading, InsCLR and STML from scratch and from a pre-trained start, "
        "against the supervised upper bound and the untrained / pre-trained floor, on "
        "Fashion-MNIST and digits (classes 0-4 train, 5-9 test) and the surface sets: R@k, "
        "NMI, mAP, mAP E / M / H, seconds per epoch.")
    add_study_arguments(
        parser, DATASETS, "selfsup", "small data and 6 epochs: minutes on 2 CPU cores",
        "datasets of the study (written to --data-root on first use)",
        "each scenario once per seed; the table gives mean and std over seeds")
    return parser


def _study():
    from tfreid.experiments.self_supervised_report import write_report
    from tfreid.experiments.self_supervised_study import run_study

    return run_study, write_report


def main(argv: Sequence[str] | None = None) -> int:
    return run_study_command(build_parser().parse_args(argv), "selfsup", _study)

"""``recipe_study``: the bag-of-tricks recipe beside the pair, triplet and margin-softmax
losses on one training budget, resumably."""

import argparse
from collections.abc import Sequence

from tfreid.cli.dataset_studies import add_study_arguments, run_study_command
from tfreid.cli.parsing import ArgumentParser

DATASETS = ("surfaces", "surfaces-wide", "fashion-mnist")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="tfreid recipe-study",
        description="The quickstart, batch-hard triplet, Multi-Similarity, the bag-of-tricks "
        "recipe (BoT) with its ablations, identity-only, ArcFace and circle-softmax, each "
        "trained on the same budget: held-out rank-1, mAP, mINP and MAP@R.")
    add_study_arguments(
        parser, DATASETS, "recipes", "small data, 6 x 15 steps: minutes on 2 CPU cores",
        "the default and wide-view surface sets, Fashion-MNIST classes 0-4 / 5-9 (written "
        "to --data-root on first use)",
        "every row at the first seed; the quickstart, BoT and the best other row at all")
    return parser


def _study():
    from tfreid.experiments.recipe_report import write_report
    from tfreid.experiments.recipe_study import run_study

    return run_study, write_report


def main(argv: Sequence[str] | None = None) -> int:
    return run_study_command(build_parser().parse_args(argv), "recipes", _study)

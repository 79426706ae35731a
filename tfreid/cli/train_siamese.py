"""``train_siamese``: the Siamese method (paper 004) of the training engine."""

import argparse
from collections.abc import Sequence

from tfreid.catalog import METHODS
from tfreid.cli import common
from tfreid.cli.parsing import ArgumentParser
from tfreid.training.config import RunConfig


def build_parser() -> argparse.ArgumentParser:
    defaults = RunConfig.for_method("siamese")
    parser = ArgumentParser(
        prog="tfreid train-siamese",
        description="Train a Siamese re-identification model (contrastive loss and/or "
                    "binary verification, on sampled pairs or P x K batches) and export it "
                    "as a SavedModel.")
    common.add_option_arguments(parser, METHODS.get("siamese").Options)
    common.add_run_arguments(parser, defaults)
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> RunConfig:
    return common.config_from_args(build_parser(), "siamese", argv)


def main(argv: Sequence[str] | None = None) -> int:
    return common.train_and_report(config_from_args(argv))

"""``train_siamese``: command-line front end of ``tfreid.training.train_siamese``."""

import argparse
from collections.abc import Sequence

from tfreid.cli import common
from tfreid.cli.parsing import ArgumentParser, float_in, positive_int
from tfreid.training.siamese_config import LOSSES, SiameseConfig


def build_parser() -> argparse.ArgumentParser:
    defaults = SiameseConfig()
    parser = ArgumentParser(
        prog="train_siamese",
        description="Train a Siamese re-identification model (contrastive loss and/or "
                    "binary verification) and export it as a SavedModel.")
    parser.add_argument("--loss", choices=LOSSES, default=defaults.loss)
    parser.add_argument("--margin", type=float_in(0.0, 1e6, low_open=True),
                        default=defaults.margin)
    parser.add_argument("--steps-per-epoch", type=positive_int, default=defaults.steps_per_epoch)
    common.add_run_arguments(parser, defaults)
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> SiameseConfig:
    return common.config_from_args(build_parser(), SiameseConfig, argv)


def main(argv: Sequence[str] | None = None) -> int:
    from tfreid.training.siamese import train_siamese

    return common.train_and_report(train_siamese, config_from_args(argv))

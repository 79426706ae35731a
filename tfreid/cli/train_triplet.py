"""``train_triplet`` / ``train_ensemble``: front ends of ``tfreid.training.train_triplet``."""

import argparse
from collections.abc import Sequence

from tfreid.cli import common
from tfreid.cli.parsing import ArgumentParser, float_in, positive_int
from tfreid.training.triplet_config import LOSSES, MININGS, TripletConfig


def build_parser(defaults: TripletConfig, prog: str) -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog=prog, description="Train a triplet encoder or an ensemble of independent "
                               "triplet submodels (paper 000) and export it as a SavedModel.")
    add = parser.add_argument
    add("--loss", choices=LOSSES, default=defaults.loss,
        help="triplet (paper 000), or a batch loss of tfreid.losses on P x K batches")
    add("--mining", choices=MININGS, default=defaults.mining,
        help="random: fixed random triplets (paper 000); all / hard / semihard: online "
             "mining over P x K batches")
    add("--num-triplets", type=positive_int, default=defaults.num_triplets)
    add("--margin", type=float_in(0.0, 1e6, low_open=True), default=defaults.margin)
    add("--squared", action="store_true", help="squared l2 distance (psorus/cf's code)")
    add("--samples-per-identity", type=positive_int, default=defaults.samples_per_identity,
        help="K of P x K batches")
    add("--members", type=positive_int, default=defaults.members, help="ensemble submodels")
    add("--member-dim", type=positive_int, default=defaults.member_dim,
        help="dims per member (default: embedding dim / members)")
    add("--side-by-side", action="store_true", help="train all members in one step")
    common.add_run_arguments(parser, defaults)
    return parser


def config_from_args(argv: Sequence[str] | None = None,
                     defaults: TripletConfig | None = None) -> TripletConfig:
    defaults = defaults or TripletConfig()
    parser = build_parser(defaults, "train_triplet" if defaults.members == 1 else "train_ensemble")
    return common.config_from_args(parser, TripletConfig, argv)


def main(argv: Sequence[str] | None = None) -> int:
    from tfreid.training.triplet import train_triplet

    return common.train_and_report(train_triplet, config_from_args(argv))


def ensemble_main(argv: Sequence[str] | None = None) -> int:
    """As ``main``, defaulting to paper 000's ensemble: 3 members of floor(100 / 3) dims."""
    from tfreid.training.triplet import train_triplet

    config = config_from_args(argv, TripletConfig(members=3))
    return common.train_and_report(train_triplet, config)

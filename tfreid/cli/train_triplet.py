"""``train_triplet`` / ``train_ensemble``: paper 000's triplet training and its ensembles.

``--loss`` names a loss of ``tfreid.catalog.BATCH_LOSSES``, as in ``tfreid train
--method batch`` ("triplet", its name here before, stays accepted).
``--loss triplet_margin --mining random`` is the ``triplet`` method (fixed random
triplets); ``--mining all|hard|semihard`` or another ``--loss`` is the
``batch`` method on P x K batches (triplet margin loss with that miner, or
the named batch loss). ``tfreid train --method ...`` reaches every option.
"""

import argparse
from collections.abc import Sequence

from tfreid.catalog import BATCH_LOSSES
from tfreid.cli import common
from tfreid.cli.parsing import ArgumentParser
from tfreid.option_types import float_in, positive_int
from tfreid.training.config import RunConfig

MININGS = ("random", "all", "hard", "semihard")


def build_parser(prog: str, members: int) -> argparse.ArgumentParser:
    defaults = RunConfig.for_method("triplet", members=members)
    parser = ArgumentParser(
        prog=prog, description="Train a triplet encoder or an ensemble of independent "
                               "triplet submodels (paper 000) and export it as a SavedModel.")
    add = parser.add_argument
    add("--loss", type=BATCH_LOSSES.canonical, choices=BATCH_LOSSES.names(),
        default="triplet_margin",
        help="triplet_margin (paper 000), or another batch loss, on P x K batches unless "
             "--mining random")
    add("--mining", choices=MININGS, default="random",
        help="random: fixed random triplets (paper 000); all / hard / semihard: online "
             "mining over P x K batches")
    add("--num-triplets", type=positive_int, default=10_000,
        help="random triplets; with P x K batches, batches per epoch = this / batch size")
    add("--margin", type=float_in(0.0, 1e6, low_open=True), default=None,
        help="margin (default: 1.0 for triplets, the loss's own otherwise)")
    add("--squared", action="store_true", help="squared l2 distance (psorus/cf's code)")
    add("--samples-per-identity", type=positive_int, default=4, help="K of P x K batches")
    common.add_run_arguments(parser, defaults)
    return parser


def config_from_args(argv: Sequence[str] | None = None, members: int = 1) -> RunConfig:
    parser = build_parser("tfreid train-triplet" if members == 1 else "tfreid train-ensemble",
                          members)
    args = parser.parse_args(argv)
    shared = common.run_settings(vars(args))
    if args.loss == "triplet_margin" and args.mining == "random":
        options = {"num_triplets": args.num_triplets, "squared": args.squared,
                   "margin": 1.0 if args.margin is None else args.margin}
        return RunConfig(method="triplet", **shared, options=options)
    options = {"loss": args.loss,
               "miner": "all" if args.mining == "random" else args.mining,
               "samples_per_identity": args.samples_per_identity, "margin": args.margin,
               "steps_per_epoch": -(-args.num_triplets // args.batch_size)}
    if args.squared:
        options["distance"] = "squared_euclidean"
    return RunConfig(method="batch", **shared, options=options)


def main(argv: Sequence[str] | None = None) -> int:
    return common.train_and_report(config_from_args(argv))


def ensemble_main(argv: Sequence[str] | None = None) -> int:
    """As ``main``, defaulting to paper 000's ensemble: 3 members of floor(100 / 3) dims."""
    return common.train_and_report(config_from_args(argv, members=3))

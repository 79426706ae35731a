"""``train_selfsup``: the self-supervised methods (paper 003): Spreading, InsCLR and STML."""

import argparse
import sys
from collections.abc import Sequence

from tfreid.catalog import METHODS
from tfreid.cli import common
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import under_home
from tfreid.training.config import RunConfig

SELF_SUPERVISED = ("spreading", "insclr", "stml")


def build_parser(method: str) -> argparse.ArgumentParser:
    defaults = RunConfig.for_method(method)
    parser = ArgumentParser(
        prog="tfreid train-selfsup",
        description="Train an encoder without labels (thesis 003: Spreading, InsCLR, STML) on "
        "the training images, then evaluate it on held-out identities: rank-1, mAP, Recall@k, "
        "NMI and mAP Easy / Medium / Hard. The default dataset is the wide-view surface set "
        f"({under_home('tfrecords', 'surfaces-wide')}, generated on first use).")
    parser.add_argument("--method", choices=SELF_SUPERVISED, default=method,
                        help="the method; --method M --help lists M's own options")
    common.add_option_arguments(parser, METHODS.get(method).Options, defaults.options)
    common.add_run_arguments(parser, defaults)
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> RunConfig:
    argv = list(sys.argv[1:] if argv is None else argv)
    probe = argparse.ArgumentParser(add_help=False)
    probe.add_argument("--method", default="stml")
    method = probe.parse_known_args(argv)[0].method
    method = method if method in SELF_SUPERVISED else "stml"
    return common.config_from_args(build_parser(method), method, argv)


def main(argv: Sequence[str] | None = None) -> int:
    return common.train_and_report(config_from_args(argv))

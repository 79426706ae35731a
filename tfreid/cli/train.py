"""``train``: any training method of the engine (``--method``), with its own options."""

import argparse
import sys
from collections.abc import Sequence

from tfreid.catalog import METHODS
from tfreid.cli import common
from tfreid.cli.parsing import ArgumentParser
from tfreid.training.config import RunConfig


def build_parser(method: str | None, recipe: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``method``'s runs (the shared options only when no method is chosen),
    its defaults those of the method's ``recipe`` where one is chosen."""
    described = "; ".join(f"{name}: {METHODS.get(name).description}" for name in METHODS)
    parser = ArgumentParser(
        prog="tfreid train", description="Train a re-identification encoder with any method, "
        f"evaluate it on held-out identities and export it. Methods: {described}.")
    parser.add_argument("--method", choices=METHODS.names(), default=method or "batch",
                        help="the training method; --method M --help lists M's own options")
    defaults = RunConfig.for_method(method or "batch", **({"recipe": recipe} if recipe else {}))
    common.add_run_arguments(parser, defaults)
    if method:
        common.add_option_arguments(parser, METHODS.get(method).Options, defaults.options)
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> RunConfig:
    argv = list(sys.argv[1:] if argv is None else argv)
    method, recipe = _method_of(argv)
    return common.config_from_args(build_parser(method, recipe), method, argv)


def _method_of(argv: list[str]) -> tuple[str, str | None]:
    """(method, recipe) that ``argv`` chooses (a recipe only if the method has it)."""
    probe = argparse.ArgumentParser(add_help=False)
    probe.add_argument("--method", default="batch")
    probe.add_argument("--recipe")
    chosen = probe.parse_known_args(argv)[0]
    method = chosen.method if chosen.method in METHODS else "batch"
    recipes = METHODS.get(method).recipes
    return method, chosen.recipe if chosen.recipe in recipes else None


def main(argv: Sequence[str] | None = None) -> int:
    return common.train_and_report(config_from_args(argv))

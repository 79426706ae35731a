"""Command-line pieces every training front end shares."""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import (
    float_in,
    fraction,
    image_size,
    int_in,
    positive_float,
    positive_int,
    seed,
)
from tfreid.limits import MAX_WIDTH
from tfreid.training.run_config import TABLE1_ACTIVATIONS, RunConfig


def add_run_arguments(parser: argparse.ArgumentParser, defaults: RunConfig) -> None:
    """The options of ``RunConfig``: data, encoder, optimiser, logging, export."""
    add = parser.add_argument
    add("--dataset", help="tfreid TFRecord dataset directory (default: the embedded "
                          "surface set, generated into tfrecords/surfaces on first use)")
    add("--backbone", default=defaults.backbone, help="table1 (paper 000) or siamese_base (004)")
    add("--activation", choices=TABLE1_ACTIVATIONS, default=defaults.activation)
    add("--width", type=float_in(0.0, MAX_WIDTH, low_open=True), default=defaults.width,
        help="table1 width multiplier")
    add("--downscale", type=positive_int, default=defaults.downscale,
        help="table1 input average-pooling factor (paper 000's resolution knob)")
    add("--epochs", type=positive_int, default=defaults.epochs)
    add("--batch-size", type=positive_int, default=defaults.batch_size)
    add("--lr", type=positive_float, default=defaults.lr)
    add("--image-size", type=image_size, default=defaults.image_size,
        help="side of square inputs, or HxW (e.g. 128x64 for Market-1501)")
    add("--embedding-dim", type=positive_int, default=defaults.embedding_dim)
    add("--patience", type=positive_int, default=defaults.patience,
        help="early-stopping epochs")
    add("--validation-fraction", type=fraction, default=defaults.validation_fraction,
        help="share of training identities held out for validation and early stopping")
    add("--folds", type=positive_int, default=defaults.folds,
        help="> 1: pool all identities and test on identity-disjoint fold --fold")
    add("--fold", type=int_in(0), default=defaults.fold)
    add("--seed", type=seed, default=defaults.seed)
    add("--logdir", help="run folder (default: logs/<run-name>); a rerun of an unfinished "
                         "run resumes it")
    add("--export", help="SavedModel directory (default: exports/<run-name>)")
    add("--run-name", help="name of the run folder in logs/ (default: <method>-<date>-<time>, "
                           "or the unfinished run of the same settings, resumed)")
    add("--overwrite", action="store_true",
        help="replace --export if it is a SavedModel tfreid exported")
    add("--xla", action=argparse.BooleanOptionalAction, default=None,
        help="XLA jit_compile (default: on with a GPU, off on CPU)")


def config_from_args(parser: argparse.ArgumentParser, config_type: type,
                     argv: Sequence[str] | None) -> Any:
    """Parse ``argv`` into ``config_type`` (options named like its fields)."""
    args = vars(parser.parse_args(argv))
    names = {field.name for field in fields(config_type)}
    return config_type(**{key: value for key, value in args.items() if key in names})


def train_and_report(train: Callable[[Any], dict], config: Any) -> int:
    """Train, print the results table; errors become one line (``run_cli``)."""

    def command() -> int:
        from tfreid.training.report import format_results

        print(format_results(train(config)))
        return 0

    return run_cli(command)

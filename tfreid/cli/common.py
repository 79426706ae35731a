"""Command-line pieces every training front end shares."""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from tfreid.cli.errors import run_cli
from tfreid.training.run_config import TABLE1_ACTIVATIONS, RunConfig


def image_size(text: str) -> int | tuple[int, int]:
    """'64' -> 64; '128x64' -> (128, 64)."""
    try:
        sides = tuple(int(side) for side in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use 64 or 128x64)") from None
    if len(sides) not in (1, 2):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use 64 or 128x64)")
    return sides[0] if len(sides) == 1 else sides


def add_run_arguments(parser: argparse.ArgumentParser, defaults: RunConfig) -> None:
    """The options of ``RunConfig``: data, encoder, optimiser, logging, export."""
    add = parser.add_argument
    add("--dataset", help="tfreid TFRecord dataset directory (default: the embedded "
                          "surface set, generated into tfrecords/surfaces on first use)")
    add("--backbone", default=defaults.backbone, help="table1 (paper 000) or siamese_base (004)")
    add("--activation", choices=TABLE1_ACTIVATIONS, default=defaults.activation)
    add("--width", type=float, default=defaults.width, help="table1 width multiplier")
    add("--downscale", type=int, default=defaults.downscale,
        help="table1 input average-pooling factor (paper 000's resolution knob)")
    add("--epochs", type=int, default=defaults.epochs)
    add("--batch-size", type=int, default=defaults.batch_size)
    add("--lr", type=float, default=defaults.lr)
    add("--image-size", type=image_size, default=defaults.image_size,
        help="side of square inputs, or HxW (e.g. 128x64 for Market-1501)")
    add("--embedding-dim", type=int, default=defaults.embedding_dim)
    add("--patience", type=int, default=defaults.patience, help="early-stopping epochs")
    add("--folds", type=int, default=defaults.folds,
        help="> 1: pool all identities and test on identity-disjoint fold --fold")
    add("--fold", type=int, default=defaults.fold)
    add("--seed", type=int, default=defaults.seed)
    add("--logdir", help="TensorBoard run directory (default: logs/<run-name>)")
    add("--export", help="SavedModel directory (default: exports/<run-name>)")
    add("--run-name")
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

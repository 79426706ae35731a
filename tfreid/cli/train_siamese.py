"""``train_siamese``: command-line front end of ``tfreid.training.train_siamese``."""

import argparse
from collections.abc import Sequence

from tfreid.cli.errors import run_cli
from tfreid.training.siamese_config import LOSSES, SiameseConfig


def image_size(text: str) -> int | tuple[int, int]:
    """'64' -> 64; '128x64' -> (128, 64)."""
    try:
        sides = tuple(int(side) for side in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use 64 or 128x64)") from None
    if len(sides) not in (1, 2):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use 64 or 128x64)")
    return sides[0] if len(sides) == 1 else sides


def build_parser() -> argparse.ArgumentParser:
    defaults = SiameseConfig()
    parser = argparse.ArgumentParser(
        prog="train_siamese",
        description="Train a Siamese re-identification model (contrastive loss and/or "
                    "binary verification) and export it as a SavedModel.")
    add = parser.add_argument
    add("--loss", choices=LOSSES, default=defaults.loss)
    add("--dataset", help="tfreid TFRecord dataset directory (default: the embedded "
                          "surface set, generated into tfrecords/surfaces on first use)")
    add("--backbone", default=defaults.backbone, help="table1 (paper 000) or siamese_base (004)")
    add("--epochs", type=int, default=defaults.epochs)
    add("--steps-per-epoch", type=int, default=defaults.steps_per_epoch)
    add("--batch-size", type=int, default=defaults.batch_size, help="pairs per batch (even)")
    add("--lr", type=float, default=defaults.lr)
    add("--margin", type=float, default=defaults.margin)
    add("--image-size", type=image_size, default=defaults.image_size,
        help="side of square inputs, or HxW (e.g. 128x64 for Market-1501)")
    add("--embedding-dim", type=int, default=defaults.embedding_dim)
    add("--patience", type=int, default=defaults.patience, help="early-stopping epochs")
    add("--seed", type=int, default=defaults.seed)
    add("--logdir", help="TensorBoard run directory (default: logs/<run-name>)")
    add("--export", help="SavedModel directory (default: exports/<run-name>)")
    add("--run-name")
    add("--xla", action=argparse.BooleanOptionalAction, default=None,
        help="XLA jit_compile (default: on with a GPU, off on CPU)")
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> SiameseConfig:
    args = vars(build_parser().parse_args(argv))
    return SiameseConfig(**args)


def main(argv: Sequence[str] | None = None) -> int:
    config = config_from_args(argv)

    def command() -> int:
        from tfreid.training.report import format_results
        from tfreid.training.siamese import train_siamese

        print(format_results(train_siamese(config)))
        return 0

    return run_cli(command)

"""Settings shared by every training run, with their checks."""

import math
from dataclasses import asdict, dataclass
from typing import Any

from tfreid.errors import ConfigError
from tfreid.limits import MAX_IMAGE_SIDE, MAX_SEED, MAX_WIDTH
from tfreid.training.run_folder import check_run_name

TABLE1_ACTIVATIONS = ("relu", "elu", "leaky_relu", "tanh", "sigmoid", "selu", "gelu")


@dataclass
class RunConfig:
    """What every run needs: data, encoder, optimiser, logging and export.

    ``activation``, ``width`` and ``downscale`` are the Table I CNN's knobs
    (paper 000); ``folds`` > 1 pools all identities of the dataset and tests on
    identity-disjoint fold ``fold`` instead of the dataset's own query/gallery.
    """

    dataset: str | None = None
    backbone: str = "table1"
    activation: str = "relu"
    width: float = 1.0
    downscale: int = 1
    epochs: int = 25
    batch_size: int = 64
    lr: float = 1e-3
    image_size: int | tuple[int, int] = 64
    embedding_dim: int = 100
    seed: int = 0
    logdir: str | None = None
    export: str | None = None
    save_export: bool = True
    xla: bool | None = None
    validation_fraction: float = 0.2
    patience: int = 6
    monitor_every: int = 1
    folds: int = 1
    fold: int = 0
    run_name: str | None = None
    overwrite: bool = False

    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the images the encoder sees."""
        if isinstance(self.image_size, int):
            return (self.image_size, self.image_size)
        return tuple(self.image_size)

    def jit_compile(self) -> bool:
        """XLA as asked, or by default on when a GPU is visible and off on CPU."""
        from tfreid.backend import default_jit_compile

        return default_jit_compile() if self.xla is None else self.xla

    def encoder_options(self) -> dict[str, Any]:
        """Keyword options of ``build_encoder`` for this backbone."""
        if self.backbone == "table1":
            return {"activation": self.activation, "width": self.width,
                    "downscale": self.downscale}
        return {}

    def check(self) -> None:
        """ConfigError naming the first value that cannot work."""
        from tfreid.models.backbones import BACKBONES

        if self.backbone not in BACKBONES:
            raise ConfigError(
                f"unknown backbone {self.backbone!r}; choose from {sorted(BACKBONES)}")
        if self.activation not in TABLE1_ACTIVATIONS:
            raise ConfigError(f"unknown activation {self.activation!r}; "
                              f"choose from {', '.join(TABLE1_ACTIVATIONS)}")
        positive = {"epochs": self.epochs, "batch_size": self.batch_size,
                    "image_size": min(self.image_shape()), "embedding_dim": self.embedding_dim,
                    "monitor_every": self.monitor_every, "downscale": self.downscale,
                    "folds": self.folds, "patience": self.patience}
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"{name} must be >= 1, got {value}")
        check_finite_in("learning rate", self.lr, 0.0, math.inf)
        check_finite_in("width", self.width, 0.0, MAX_WIDTH)
        check_finite_in("validation fraction", self.validation_fraction, 0.0, 1.0)
        if max(self.image_shape()) > MAX_IMAGE_SIDE:
            raise ConfigError(f"image sides must be at most {MAX_IMAGE_SIDE} px, got "
                              f"{self.image_size}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must lie in [0, {MAX_SEED}], got {self.seed}")
        if not 0 <= self.fold < self.folds:
            raise ConfigError(f"fold {self.fold} is not one of the {self.folds} folds")
        if self.run_name is not None:
            check_run_name(self.run_name)
        seen = min(self.image_shape()) // self.downscale
        if self.backbone == "table1" and seen < 36:
            raise ConfigError(f"the table1 CNN needs at least 36 px after downscaling, "
                              f"got {self.image_size} / {self.downscale}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_finite_in(name: str, value: float, low: float, high: float) -> None:
    """ConfigError unless ``value`` is finite with low < value <= high."""
    if not (isinstance(value, int | float) and math.isfinite(value) and low < value <= high):
        raise ConfigError(f"{name} must be finite, above {low:g} and at most {high:g}, "
                          f"got {value}")

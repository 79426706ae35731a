"""Settings shared by every training run, with their checks."""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tfreid.backend import default_jit_compile
from tfreid.errors import ConfigError
from tfreid.models.backbones import BACKBONES

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

    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the images the encoder sees."""
        if isinstance(self.image_size, int):
            return (self.image_size, self.image_size)
        return tuple(self.image_size)

    def jit_compile(self) -> bool:
        """XLA as asked, or by default on when a GPU is visible and off on CPU."""
        return default_jit_compile() if self.xla is None else self.xla

    def encoder_options(self) -> dict[str, Any]:
        """Keyword options of ``build_encoder`` for this backbone."""
        if self.backbone == "table1":
            return {"activation": self.activation, "width": self.width,
                    "downscale": self.downscale}
        return {}

    def check(self) -> None:
        """ConfigError naming the first value that cannot work."""
        if self.backbone not in BACKBONES:
            raise ConfigError(
                f"unknown backbone {self.backbone!r}; choose from {sorted(BACKBONES)}")
        if self.activation not in TABLE1_ACTIVATIONS:
            raise ConfigError(f"unknown activation {self.activation!r}; "
                              f"choose from {', '.join(TABLE1_ACTIVATIONS)}")
        positive = {"epochs": self.epochs, "batch_size": self.batch_size,
                    "image_size": min(self.image_shape()), "embedding_dim": self.embedding_dim,
                    "monitor_every": self.monitor_every, "downscale": self.downscale,
                    "folds": self.folds}
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"{name} must be >= 1, got {value}")
        if not (self.lr > 0 and self.width > 0):
            raise ConfigError("learning rate and width must be positive")
        if not 0 <= self.fold < self.folds:
            raise ConfigError(f"fold {self.fold} is not one of the {self.folds} folds")
        seen = min(self.image_shape()) // self.downscale
        if self.backbone == "table1" and seen < 36:
            raise ConfigError(f"the table1 CNN needs at least 36 px after downscaling, "
                              f"got {self.image_size} / {self.downscale}")

    def resolved_run_name(self, prefix: str) -> str:
        return self.run_name or f"{prefix}-{datetime.now():%Y%m%d-%H%M%S}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

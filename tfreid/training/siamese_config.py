"""Settings of a Siamese training run, with their checks."""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tfreid.errors import ConfigError
from tfreid.models.backbones import BACKBONES

LOSSES = ("contrastive", "binary", "combined")


@dataclass
class SiameseConfig:
    """One Siamese run. ``None`` means: the default chosen at run time.

    Defaults give a run of a few minutes on 2 CPU cores on the embedded surface
    set: Table I CNN (paper 000) at 64 px, contrastive margin 1.0 (004), Adam
    3e-4: on the surface set it beat paper 000's 1e-3 (held-out mAP 0.58 vs
    0.49, which overfits after 2 epochs); 004's 5e-5 converges far too slowly
    for a few-minute run.
    """

    loss: str = "contrastive"
    dataset: str | None = None
    backbone: str = "table1"
    epochs: int = 25
    steps_per_epoch: int = 60
    batch_size: int = 64
    lr: float = 3e-4
    margin: float = 1.0
    image_size: int | tuple[int, int] = 64
    embedding_dim: int = 100
    seed: int = 0
    logdir: str | None = None
    export: str | None = None
    xla: bool | None = None
    validation_fraction: float = 0.2
    validation_steps: int = 8
    patience: int = 6
    monitor_every: int = 1
    run_name: str | None = None

    def check(self) -> None:
        """ConfigError naming the first value that cannot work."""
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        if self.backbone not in BACKBONES:
            raise ConfigError(
                f"unknown backbone {self.backbone!r}; choose from {sorted(BACKBONES)}")
        positive = {"epochs": self.epochs, "steps_per_epoch": self.steps_per_epoch,
                    "image_size": min(self.image_shape()), "embedding_dim": self.embedding_dim,
                    "validation_steps": self.validation_steps, "monitor_every": self.monitor_every}
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"{name} must be >= 1, got {value}")
        if self.batch_size < 2 or self.batch_size % 2:
            raise ConfigError(f"batch size must be even and >= 2, got {self.batch_size}")
        if not (self.lr > 0 and self.margin > 0):
            raise ConfigError("learning rate and margin must be positive")
        if self.backbone == "table1" and min(self.image_shape()) < 36:
            raise ConfigError(
                f"the table1 CNN needs images of at least 36 px, got {self.image_size}")

    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the images the encoder sees."""
        if isinstance(self.image_size, int):
            return (self.image_size, self.image_size)
        return tuple(self.image_size)

    def resolved_run_name(self) -> str:
        return self.run_name or f"siamese-{self.loss}-{datetime.now():%Y%m%d-%H%M%S}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

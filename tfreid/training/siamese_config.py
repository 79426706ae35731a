"""Settings of a Siamese training run (paper 004)."""

from dataclasses import dataclass

from tfreid.errors import ConfigError
from tfreid.training.run_config import RunConfig, check_finite_in

LOSSES = ("contrastive", "binary", "combined")


@dataclass
class SiameseConfig(RunConfig):
    """One Siamese run.

    Defaults give a run of a few minutes on 2 CPU cores on the embedded surface
    set: Table I CNN (paper 000) at 64 px, contrastive margin 1.0 (004), Adam
    3e-4: on the surface set it beat paper 000's 1e-3 (held-out mAP 0.58 vs
    0.49, which overfits after 2 epochs); 004's 5e-5 converges far too slowly
    for a few-minute run. ``batch_size`` counts pairs.
    """

    loss: str = "contrastive"
    lr: float = 3e-4
    margin: float = 1.0
    steps_per_epoch: int = 60
    validation_steps: int = 8

    def check(self) -> None:
        super().check()
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        if self.batch_size < 2 or self.batch_size % 2:
            raise ConfigError(f"batch size must be even and >= 2, got {self.batch_size}")
        check_finite_in("margin", self.margin, 0.0, 1e6)
        if self.steps_per_epoch < 1 or self.validation_steps < 1:
            raise ConfigError("steps per epoch and validation steps must be positive")

"""What a training method gives the engine, and the base class of methods."""

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from tfreid.errors import ConfigError


@dataclass
class Plan:
    """What ``fit`` trains: the model (the encoder, a wrapper around it, or a ``keras.Model``
    subclass with its own ``train_step``), its loss (None if the model computes its own),
    the training stream from a global step on, steps per epoch, validation batches,
    metrics, callbacks made from the log folder (``first_start``: only when training starts
    at epoch 1; ``every_start``: on resumes too) and an optimiser (default Adam at the
    run's learning rate)."""

    model: Any
    loss: Any
    train: Callable[[int], Any]
    steps_per_epoch: int
    validation: Any = None
    metrics: Any = None
    callbacks: list = field(default_factory=list)
    every_start: list = field(default_factory=list)
    optimizer: Any = None


class Method:
    """Base of the training methods (see ``tfreid.training.methods``)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Options: ClassVar[type] = object
    defaults: ClassVar[dict[str, Any]] = {}
    lonely: ClassVar[str] = "skip"  # identities with one training image: "skip" or "error"
    side_by_side: ClassVar[bool] = False  # can train ensemble members in one step
    self_supervised: ClassVar[bool] = False  # sees no label: no validation identities
    metric: ClassVar[str] = "euclidean"  # how its embeddings are compared
    # applies RunConfig.train_augment to its training batches (the supervised samplers)
    takes_train_augment: ClassVar[bool] = False
    # recipe name -> settings (shared fields, backbone options, method options) a method's
    # ``recipe`` option stands for; explicit settings override them (RunConfig.for_method)
    recipes: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, config):
        self.config = config
        self.options = config.method_options()

    def check(self) -> None:
        """ConfigError for option values that cannot work (choices and minimums by default)."""
        for spec in fields(self.options):
            value = getattr(self.options, spec.name)
            choices, minimum = spec.metadata.get("choices"), spec.metadata.get("minimum")
            if choices and value not in choices:
                raise ConfigError(f"{self.name} option {spec.name} must be one of "
                                  f"{', '.join(map(str, choices))}, got {value!r}")
            if minimum is not None and value is not None and not value >= minimum:
                raise ConfigError(f"{self.name} option {spec.name} must be >= {minimum}, "
                                  f"got {value!r}")
        if self.config.train_augment and not self.takes_train_augment:
            raise ConfigError(f"method {self.name} augments its views its own way; "
                              "--train-augment is for the methods on P x K, pair and "
                              "triplet batches")

    def holds_out_validation(self) -> bool:
        """Whether the run holds validation identities out of training (to monitor, keep
        the best epoch and stop early): a method that sees labels does."""
        return not self.self_supervised

    def run_prefix(self) -> str:
        """The start of this run's default name."""
        return self.name

    def inference_encoder(self, encoder):
        """The model a finished run saves (``encoder.keras``), evaluates and exports, of the
        trained ``encoder``: by default ``encoder`` itself."""
        return encoder

    def plan(self, encoder, data: dict) -> Plan:
        raise NotImplementedError

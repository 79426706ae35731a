"""One run configuration for every training method (importable without TensorFlow).

``RunConfig`` holds what every run shares (data, backbone, optimiser, logging,
export, ensembles) and names the training ``method`` (``tfreid.catalog.METHODS``);
the method's own settings are ``options``, checked against the method's
``Options`` dataclass, and the backbone's (``tfreid.catalog.BACKBONES``) are
``backbone_options``, checked against the backbone's ``Options``.
``RunConfig.for_method`` starts from the method's own defaults (paper 000's
triplet setup trains 100 epochs at batch 128, say).
``results.json`` records ``to_dict()``; ``from_dict`` reads it back, also from
before ``backbone_options`` (when ``activation``, ``width``, ``downscale`` and
``backbone_weights`` were fields of their own).
"""

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from tfreid.catalog import BACKBONES, METHODS, TRAIN_AUGMENT_SHORTHANDS, TRAIN_AUGMENTATIONS
from tfreid.data.input_mode import INPUTS
from tfreid.distribute.precision import PRECISIONS
from tfreid.distribute.strategies import STRATEGY_CHOICES
from tfreid.errors import ConfigError
from tfreid.limits import MAX_IMAGE_SIDE, MAX_SEED
from tfreid.models.table1_cnn import TABLE1_ACTIVATIONS  # noqa: F401  (its old home)
from tfreid.training.legacy_settings import (
    LEGACY_BACKBONE_FIELDS,
    backbone_option_names,
    upgrade_settings,
)
from tfreid.training.run_folder import check_run_name

OPTIMIZERS = ("adam", "adamw", "sgd")
LR_SCHEDULES = ("constant", "multistep", "cosine")
# biases and normalisation scales/offsets: never weight-decayed (matched in variable names)
NO_DECAY = r"(^|/)(bias|gamma|beta|p)(:\d+)?$"  # p: GeM pooling's exponent


@dataclass
class RunConfig:
    """What every run needs; ``options`` are the method's own settings.

    ``backbone_options`` are the backbone's own settings (its ``Options``): the
    Table I CNN's ``activation``, ``width`` and ``downscale`` (paper 000), the
    Keras applications' ``weights`` (a local weights file); ``replace`` and
    ``for_method`` take them by name like shared fields. ``folds`` > 1 pools all
    identities of the dataset and tests on identity-disjoint fold ``fold`` instead of
    the dataset's own query/gallery. ``members`` > 1 trains an ensemble of independent submodels
    of ``member_dim`` dims each (default embedding_dim // members), one after
    another or ``side_by_side`` in one step. ``input`` holds the dataset in memory or
    streams it from its shards (``tfreid.data.input_mode``). ``strategy`` is a
    ``tfreid.distribute`` strategy name, ``precision`` a mixed-precision policy;
    ``cross_replica`` gathers every replica's embeddings for the batch losses,
    ``sync_batch_norm`` makes batch normalisation use the global batch. ``optimizer``
    (``adam``, ``adamw`` or ``sgd``) serves the methods that do not choose their own, and
    so do its learning-rate schedule (``lr_schedule`` after ``warmup_epochs``; see
    ``make_optimizer``), ``optimizer_weight_decay`` and ``clipnorm`` (the methods with
    their own optimiser have their own ``weight_decay`` option).
    ``projector_every`` > 0 puts the validation embeddings in TensorBoard's Projector
    every that many epochs (the held-out ones go there at the end of every run).
    ``train_augment`` names the re-id training augmentations (``flip``, ``pad_crop``,
    ``jitter``, ``erase`` of ``tfreid.catalog.TRAIN_AUGMENTATIONS``, or ``bot`` for the
    first, second and fourth) of the supervised methods' training batches, kept in their
    fixed order (``tfreid.data.reid_augment``); none by default.
    ``train_datasets`` are further datasets whose training splits join ``dataset``'s (each
    dataset's identities and cameras kept apart: ``tfreid.training.run_data``); the
    validation identities come from all of them, the test from ``dataset``.
    ``test_datasets`` are datasets the trained encoder is scored on as well, each under its
    own protocol (``tfreid.evaluation.protocol``), into ``results["test_datasets"]``: the
    cross-domain protocol (train on Duke, test on Market).
    """

    method: str = "siamese"
    dataset: str | None = None
    train_datasets: list[str] = field(default_factory=list)
    test_datasets: list[str] = field(default_factory=list)
    backbone: str = "table1"
    backbone_options: dict[str, Any] = field(default_factory=dict)
    epochs: int = 25
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    lr_schedule: str = "constant"
    warmup_epochs: int = 0
    warmup_factor: float = 0.1
    lr_milestones: list[int] = field(default_factory=list)
    lr_gamma: float = 0.1
    min_lr: float = 0.0
    optimizer_weight_decay: float = 0.0
    clipnorm: float | None = None
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
    projector_every: int = 0
    folds: int = 1
    fold: int = 0
    run_name: str | None = None
    overwrite: bool = False
    members: int = 1
    member_dim: int | None = None
    side_by_side: bool = False
    initial_weights: str | None = None
    input: str = "auto"
    strategy: str = "auto"
    precision: str = "float32"
    cross_replica: bool = True
    sync_batch_norm: bool = False
    train_augment: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_method(cls, method: str, **settings: Any) -> "RunConfig":
        """A config of ``method`` from its defaults, then the settings of its ``recipe`` (a
        method option, if ``settings`` names one: ``Method.recipes``); ``settings`` name
        shared fields, backbone options or the method's options, and win over both."""
        chosen = METHODS.get(method)
        recipe = chosen.recipes.get(settings.get("recipe"), {})
        # the recipe's own backbone first, so its options are dropped (not taken for method
        # options) where ``settings`` name another backbone
        return cls(method=method).replace(**{**chosen.defaults, **recipe}).replace(**settings)

    def replace(self, **changes: Any) -> "RunConfig":
        """A copy with ``changes``: shared fields by name, the backbone's options by name
        (``backbone_weights`` as ``weights``), anything else as a method option. Options of
        the old backbone that the new one lacks are dropped."""
        changes = {LEGACY_BACKBONE_FIELDS.get(k, k) if k == "backbone_weights" else k: v
                   for k, v in changes.items()}
        shared = {f.name for f in fields(self)}
        backbone = changes.get("backbone", self.backbone)
        known = backbone_option_names(backbone)
        backbone_options = dict(changes.pop("backbone_options", None) or {
            k: v for k, v in self.backbone_options.items()
            if backbone == self.backbone or k in known})
        backbone_options.update({k: v for k, v in changes.items()
                                 if k not in shared and k in known})
        options = {**self.options, **{k: v for k, v in changes.items()
                                      if k not in shared and k not in known}}
        return replace(self, **{k: v for k, v in changes.items() if k in shared},
                       backbone_options=backbone_options, options=options)

    def setting(self, name: str) -> Any:
        """A shared field, a backbone option or a method option (with its default) by name."""
        if name in {f.name for f in fields(self)}:
            return getattr(self, name)
        name = LEGACY_BACKBONE_FIELDS.get(name, name) if name == "backbone_weights" else name
        if name in backbone_option_names(self.backbone):
            return getattr(self.backbone_settings(), name)
        return getattr(self.method_options(), name)

    def method_options(self) -> Any:
        """The method's ``Options`` with this config's ``options``; ConfigError for unknown."""
        options_type = METHODS.get(self.method).Options
        known = {f.name for f in fields(options_type)}
        unknown = sorted(set(self.options) - known)
        if unknown:
            raise ConfigError(f"method {self.method!r} has no option {unknown[0]!r}; its "
                              f"options are {', '.join(sorted(known)) or 'none'}")
        return options_type(**self.options)

    def backbone_settings(self) -> Any:
        """The backbone's ``Options`` with ``backbone_options``; ConfigError for unknown."""
        return BACKBONES.get(self.backbone).options(self.backbone_options)

    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the images the encoder sees."""
        if isinstance(self.image_size, int):
            return (self.image_size, self.image_size)
        return tuple(self.image_size)

    def make_optimizer(self, steps_per_epoch: int | None = None):
        """The optimiser of methods that do not choose their own: Adam, AdamW (decoupled
        ``optimizer_weight_decay``) or SGD with momentum 0.9 (and decoupled weight decay), at
        ``learning_rate(steps_per_epoch)``, clipping the gradients' global norm to
        ``clipnorm``. Biases and normalisation ``gamma``/``beta`` are not decayed.

        Example::

            from tfreid.training.config import RunConfig

            config = RunConfig(optimizer="sgd", lr=0.01, optimizer_weight_decay=5e-4,
                               lr_schedule="cosine", warmup_epochs=5)
            optimizer = config.make_optimizer(steps_per_epoch=100)
            encoder.compile(optimizer=optimizer, loss="triplet_margin")
        """
        from tfreid.backend import keras

        rate = self.learning_rate(steps_per_epoch)
        extra = {"global_clipnorm": self.clipnorm} if self.clipnorm else {}
        if self.optimizer_weight_decay:
            extra["weight_decay"] = self.optimizer_weight_decay
        if self.optimizer == "sgd":
            optimizer = keras.optimizers.SGD(rate, momentum=0.9, **extra)
        elif self.optimizer == "adamw":
            optimizer = keras.optimizers.AdamW(rate, **{"weight_decay": 0.0, **extra})
        else:
            optimizer = keras.optimizers.Adam(rate, **extra)
        if self.optimizer_weight_decay:
            optimizer.exclude_from_weight_decay(var_names=[NO_DECAY])
        return optimizer

    def learning_rate(self, steps_per_epoch: int | None = None):
        """``lr`` itself (the default: constant, no warm-up), else a ``WarmupSchedule`` of
        ``lr_schedule`` with the epochs (``warmup_epochs``, ``lr_milestones``, ``epochs``)
        in steps of ``steps_per_epoch``; ValueError if a schedule lacks it."""
        if self.lr_schedule == "constant" and not self.warmup_epochs:
            return self.lr
        if not steps_per_epoch:
            raise ValueError(f"the {self.lr_schedule} learning rate schedule needs the "
                             "steps per epoch")
        from tfreid.training.schedules import WarmupSchedule

        return WarmupSchedule(self.lr, self.warmup_epochs * steps_per_epoch,
                              self.warmup_factor, self.lr_schedule,
                              [m * steps_per_epoch for m in self.lr_milestones],
                              self.lr_gamma, self.min_lr, self.epochs * steps_per_epoch)

    def jit_compile(self) -> bool:
        """XLA as asked, or by default on when a GPU is visible and off on CPU."""
        from tfreid.backend import default_jit_compile

        return default_jit_compile() if self.xla is None else self.xla

    def encoder_options(self) -> dict[str, Any]:
        """Keyword options of ``build_encoder`` for this backbone: its ``Options``, filled."""
        return asdict(self.backbone_settings())

    def check(self) -> None:
        """ConfigError naming the first value that cannot work (the method checks its own)."""
        choices = {"method": METHODS, "backbone": BACKBONES, "optimizer": OPTIMIZERS,
                   "lr_schedule": LR_SCHEDULES,
                   "input": INPUTS, "strategy": STRATEGY_CHOICES, "precision": PRECISIONS}
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"unknown {name} {value!r}; choose from "
                                  f"{', '.join(allowed)}")
        positive = {"epochs": self.epochs, "batch_size": self.batch_size,
                    "image_size": min(self.image_shape()), "embedding_dim": self.embedding_dim,
                    "monitor_every": self.monitor_every, "folds": self.folds,
                    "patience": self.patience, "members": self.members}
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"{name} must be >= 1, got {value}")
        check_finite_in("learning rate", self.lr, 0.0, math.inf)
        check_finite_in("validation fraction", self.validation_fraction, 0.0, 1.0)
        self._check_ranges()
        self._check_optimisation()
        unknown = [name for name in self.train_augment if name not in TRAIN_AUGMENTATIONS]
        if unknown:
            raise ConfigError(f"unknown training augmentation {unknown[0]!r}; choose from "
                              f"{', '.join([*TRAIN_AUGMENTATIONS.names(), 'bot'])}")
        BACKBONES.get(self.backbone).check(self.backbone_options, self.image_shape())
        self.method_options()

    def _check_ranges(self) -> None:
        if max(self.image_shape()) > MAX_IMAGE_SIDE:
            raise ConfigError(f"image sides must be at most {MAX_IMAGE_SIDE} px, got "
                              f"{self.image_size}")
        if self.projector_every < 0:
            raise ConfigError(f"projector_every must be >= 0, got {self.projector_every}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must lie in [0, {MAX_SEED}], got {self.seed}")
        if not 0 <= self.fold < self.folds:
            raise ConfigError(f"fold {self.fold} is not one of the {self.folds} folds")
        if self.run_name is not None:
            check_run_name(self.run_name)
        if self.initial_weights is not None and self.members > 1:
            raise ConfigError("initial weights start a single encoder, not an ensemble")
        if self.train_datasets and self.folds > 1:
            raise ConfigError("folds pool one dataset's identities; train on several datasets "
                              "without folds")

    def _check_optimisation(self) -> None:
        """ConfigError for a schedule, weight decay or clipping setting that cannot work."""
        if not 0 <= self.warmup_epochs <= self.epochs:
            raise ConfigError(f"warmup_epochs must lie in [0, epochs], got {self.warmup_epochs}")
        check_finite_in("warm-up factor", self.warmup_factor, 0.0, 1.0)
        check_finite_in("learning rate gamma", self.lr_gamma, 0.0, 1.0)
        if not (math.isfinite(self.min_lr) and 0 <= self.min_lr < self.lr):
            raise ConfigError(f"min_lr must lie in [0, lr), got {self.min_lr}")
        milestones = self.lr_milestones
        if milestones and (self.lr_schedule != "multistep" or min(milestones) < 1
                           or sorted(set(milestones)) != list(milestones)):
            raise ConfigError(f"lr_milestones {milestones} must be increasing epochs >= 1, "
                              "with the multistep lr_schedule")
        decay = self.optimizer_weight_decay
        if not (math.isfinite(decay) and decay >= 0):
            raise ConfigError(f"optimizer_weight_decay must be finite and >= 0, got {decay}")
        if decay and self.optimizer == "adam":
            raise ConfigError("weight decay with Adam is decoupled: choose optimizer adamw")
        if not decay and self.optimizer == "adamw":
            raise ConfigError("optimizer adamw needs an optimizer_weight_decay above 0")
        if self.clipnorm is not None:
            check_finite_in("clipnorm", self.clipnorm, 0.0, math.inf)

    def member_dims(self) -> list[int]:
        """Each ensemble member's dims: ``member_dim`` each, or embedding_dim // members."""
        size = self.member_dim or self.embedding_dim // self.members
        if size < 1:
            raise ConfigError(f"{self.members} members cannot share {self.embedding_dim} dims")
        return [size] * self.members

    def __post_init__(self) -> None:
        """Every option of a known backbone, its defaults filled in, so two configs of one
        run are equal whichever options were named (unknown ones are left for ``check``)."""
        if self.backbone in BACKBONES and \
                set(self.backbone_options) <= BACKBONES.get(self.backbone).option_names():
            self.backbone_options = asdict(self.backbone_settings())
        self.lr_milestones = [int(m) for m in self.lr_milestones or ()]
        self.train_datasets = [str(path) for path in self.train_datasets or ()]
        self.test_datasets = [str(path) for path in self.test_datasets or ()]
        self.train_augment = ordered_augmentations(self.train_augment)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, settings: dict[str, Any]) -> "RunConfig":
        """A config from ``to_dict()`` output (as results.json stores it), also of
        results.json from before ``backbone_options`` (module docstring): the old fields
        become the options of the backbone that has them."""
        settings = upgrade_settings(settings)
        unknown = sorted(set(settings) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigError(f"unknown run settings {', '.join(unknown)}")
        if isinstance(settings.get("image_size"), list):
            settings["image_size"] = tuple(settings["image_size"])
        return cls(**settings)


def ordered_augmentations(names: Any) -> list[str]:
    """``names`` of training augmentations with shorthands (``bot``) expanded, each once, in
    the order they are applied; unknown names follow, for ``check`` to report."""
    if isinstance(names, str):
        names = [names]
    wanted = [op for name in names or () for op in TRAIN_AUGMENT_SHORTHANDS.get(name, (name,))]
    known = [name for name in TRAIN_AUGMENTATIONS.names() if name in wanted]
    return known + [name for name in dict.fromkeys(wanted) if name not in TRAIN_AUGMENTATIONS]


def check_finite_in(name: str, value: float, low: float, high: float) -> None:
    """ConfigError unless ``value`` is finite with low < value <= high."""
    if not (isinstance(value, int | float) and math.isfinite(value) and low < value <= high):
        raise ConfigError(f"{name} must be finite, above {low:g} and at most {high:g}, "
                          f"got {value}")

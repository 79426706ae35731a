"""Run settings as older tfreid versions wrote them, in today's form.

Distances had four vocabularies; one is left (``tfreid.catalog.DISTANCES``), and a
method's ``distance`` or ``loss`` option of an older name ("l2", "squared_l2",
"triplet") becomes its name today (the registries' aliases).

Before backbones had ``Options``, the Table I CNN's ``activation``, ``width`` and
``downscale`` and the applications' ``backbone_weights`` were fields of the run
config itself. ``upgrade_settings`` moves them into ``backbone_options`` (only
those the run's backbone has), so a results.json or run.json of those versions
loads, resumes and is recognised as finished like one written today.

Before learning-rate schedules, weight decay and gradient clipping (issue 21) a run
had none of them: ``upgrade_settings`` fills in ``OPTIMISATION_DEFAULTS``, the
settings that train as those runs did (a constant ``lr``, no decay, no clipping).

Before the re-id training augmentations (issue 21) no run augmented its supervised
batches: ``AUGMENTATION_DEFAULTS`` fills in ``train_augment`` empty.

Before several training and test datasets (issue 22) a run had ``dataset`` alone:
``DATASET_DEFAULTS`` fills in ``train_datasets`` and ``test_datasets`` empty.

A backbone option added since a run was written (the applications' ``pooling``, ``neck``,
``last_stride``, ...) is filled in at its default, which builds the encoder of before it:
``with_backbone_defaults``.
"""

from dataclasses import asdict
from typing import Any

from tfreid.catalog import BACKBONES, BATCH_LOSSES, DISTANCES

# the backbone settings that were RunConfig fields, and the backbone option each now is
LEGACY_BACKBONE_FIELDS = {"activation": "activation", "width": "width",
                          "downscale": "downscale", "backbone_weights": "weights"}
DEFAULT_BACKBONE = "table1"
# RunConfig's optimisation fields and the values that reproduce runs from before them
OPTIMISATION_DEFAULTS = {"lr_schedule": "constant", "warmup_epochs": 0, "warmup_factor": 0.1,
                         "lr_milestones": [], "lr_gamma": 0.1, "min_lr": 0.0,
                         "optimizer_weight_decay": 0.0, "clipnorm": None}
# RunConfig's training augmentations and the value that reproduces runs from before them
AUGMENTATION_DEFAULTS = {"train_augment": []}
# RunConfig's further datasets and the value that reproduces runs from before them
DATASET_DEFAULTS = {"train_datasets": [], "test_datasets": []}


def backbone_option_names(backbone: str) -> set[str]:
    """The option names of ``backbone`` (none for an unknown one: the config check says so)."""
    if backbone not in BACKBONES:
        return set()
    return BACKBONES.get(backbone).option_names()


def with_backbone_defaults(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with every option its backbone has and ``backbone_options`` lacks at
    its default (as ``RunConfig`` fills them); unchanged for an unknown backbone or an
    unknown option, which the config check reports."""
    backbone = settings.get("backbone", DEFAULT_BACKBONE)
    options = settings.get("backbone_options", {})
    if not isinstance(backbone, str) or backbone not in BACKBONES \
            or not isinstance(options, dict) \
            or not set(options) <= backbone_option_names(backbone):
        return settings
    return {**settings, "backbone_options": {**asdict(BACKBONES.get(backbone).Options()),
                                             **options}}


def upgrade_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``settings`` with the old backbone fields in ``backbone_options`` and the
    optimisation, augmentation and dataset fields it lacks at their defaults (module docstring)."""
    settings = {**OPTIMISATION_DEFAULTS, **AUGMENTATION_DEFAULTS, **DATASET_DEFAULTS,
                **settings}
    legacy = {LEGACY_BACKBONE_FIELDS[k]: settings.pop(k) for k in LEGACY_BACKBONE_FIELDS
              if k in settings}
    if legacy:
        known = backbone_option_names(settings.get("backbone", DEFAULT_BACKBONE))
        settings["backbone_options"] = {**{k: v for k, v in legacy.items() if k in known},
                                        **settings.get("backbone_options", {})}
    options = settings.get("options")
    if isinstance(options, dict):
        renamed = {key: registry.canonical(options[key]) for key, registry in
                   (("distance", DISTANCES), ("loss", BATCH_LOSSES))
                   if isinstance(options.get(key), str)}
        settings["options"] = {**options, **renamed}
    return with_backbone_defaults(settings)

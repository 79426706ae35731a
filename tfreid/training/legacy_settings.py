"""Run settings as older tfreid versions wrote them, in today's form.

Distances had four vocabularies; one is left (``tfreid.catalog.DISTANCES``), and a
method's ``distance`` or ``loss`` option of an older name ("l2", "squared_l2",
"triplet") becomes its name today (the registries' aliases).

Before backbones had ``Options``, the Table I CNN's ``activation``, ``width`` and
``downscale`` and the applications' ``backbone_weights`` were fields of the run
config itself. ``upgrade_settings`` moves them into ``backbone_options`` (only
those the run's backbone has), so a results.json or run.json of those versions
loads, resumes and is recognised as finished like one written today.
"""

from typing import Any

from tfreid.catalog import BACKBONES, BATCH_LOSSES, DISTANCES

# the backbone settings that were RunConfig fields, and the backbone option each now is
LEGACY_BACKBONE_FIELDS = {"activation": "activation", "width": "width",
                          "downscale": "downscale", "backbone_weights": "weights"}
DEFAULT_BACKBONE = "table1"


def backbone_option_names(backbone: str) -> set[str]:
    """The option names of ``backbone`` (none for an unknown one: the config check says so)."""
    if backbone not in BACKBONES:
        return set()
    return BACKBONES.get(backbone).option_names()


def upgrade_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``settings`` with the old backbone fields in ``backbone_options``."""
    settings = dict(settings)
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
    return settings

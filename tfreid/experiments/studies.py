"""The sweeps of paper 000, as named studies over the settings of a triplet run.

Each study varies one knob (``field``) over ``values``; the rest of the config
is paper 000's setup (the ``triplet`` method's defaults) plus the study's ``base``.
``quick`` settings are sized so a whole study, folds included, runs in minutes
on 2 CPU cores: fewer triplets and epochs, smaller images, two folds.

The studies are ``tfreid.catalog.STUDIES``: a new one is one ``Study`` here (or in
its own file) plus one line there.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from tfreid.catalog import STUDIES
from tfreid.errors import ConfigError

TRAININGS = ("pairwise", "triplet")  # paper 002's study: cosine embedding vs triplet margin
STUDY_AUGMENTATIONS = ("none", "fer", "simclr")  # paper 002's three transforms
QUICK_BASE = {"num_triplets": 1500, "epochs": 6, "patience": 3, "batch_size": 64}


@dataclass(frozen=True)
class Study:
    """One sweep: ``field`` over ``values`` (full) or ``quick_values`` (--quick)."""

    name: str
    field: str
    values: tuple
    quick_values: tuple
    base: dict[str, Any] = field(default_factory=dict)
    quick_base: dict[str, Any] = field(default_factory=dict)
    figure: str = ""
    measures: tuple[str, ...] = ("rank1", "mAC", "CF")
    log_x: bool = False
    folds: int = 5
    quick_folds: int = 2

    def parse_value(self, text: str) -> int | float | str:
        """A value of this study's setting from text: a number for numeric settings, one of
        the study's own values otherwise; ConfigError if it is neither."""
        if all(isinstance(v, str) for v in self.values):
            if text not in self.values:
                raise ConfigError(f"study {self.name} sweeps {self.field} over "
                                  f"{', '.join(self.values)}; got {text!r}")
            return text
        kind = int if all(isinstance(v, int) for v in self.values) else float
        try:
            value = kind(text)
        except ValueError:
            raise ConfigError(f"study {self.name} sweeps {self.field}, a "
                              f"{'whole ' * (kind is int)}number; got {text!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{self.field} must be a finite number above 0, got {text!r}")
        return value

    def settings(self, quick: bool) -> tuple[dict[str, Any], tuple, int]:
        """(base config overrides, values, folds) for a full or quick sweep."""
        if quick:
            return ({**self.base, **QUICK_BASE, **self.quick_base}, self.quick_values,
                    self.quick_folds)
        return dict(self.base), self.values, self.folds


RESOLUTION = Study("resolution", "downscale", (1, 2, 3, 4, 5, 6, 7), (1, 2, 3, 4),
                   base={"image_size": 256}, quick_base={"image_size": 144},
                   figure="fig1, fig4: rank-1 and mAC vs resolution (px seen)")
WIDTH = Study("width", "width", (0.5, 1.0, 2.0, 4.0), (0.5, 1.0, 2.0), figure="fig9: width",
              measures=("rank1", "mAC"))
DIM = Study("dim", "embedding_dim", (10, 25, 50, 100, 200, 400), (8, 32, 128),
            figure="fig6: CF and mAC vs embedding dim", measures=("CF", "mAC", "rank1"),
            log_x=True)
ACTIVATION = Study("activation", "activation", ("relu", "elu", "leaky_relu", "tanh", "sigmoid"),
                   ("relu", "elu", "leaky_relu", "tanh", "sigmoid"), figure="fig8: activation")
LR = Study("lr", "lr", (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 2e-2), (1e-4, 1e-3, 1e-2),
           figure="fig8: learning rate", log_x=True)
ENSEMBLE = Study("ensemble", "members", (1, 2, 3, 4, 5), (1, 2, 3), quick_base={"image_size": 48},
                 figure="fig10: k submodels sharing 100 dims")
ENSEMBLE25 = Study("ensemble25", "members", (1, 2, 3, 4), (1, 2, 3),
                   base={"member_dim": 25, "embedding_dim": 25}, quick_base={"image_size": 48},
                   figure="fig11: n submodels of 25 dims", measures=("rank1", "mAP"))


def get_study(name: str) -> Study:
    """The study ``name`` of ``tfreid.catalog.STUDIES``; its one-line ConfigError otherwise."""
    return STUDIES.get(name)

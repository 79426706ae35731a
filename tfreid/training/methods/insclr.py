"""InsCLR (Deng et al., 2022; thesis 003, section 3.2): neighbours from a candidate pool as
positives, a memory bank of negatives, training in cycles, no labels.

Defaults follow the authors' code (zeludeng/insclr): a pool of 500 candidates
(the thesis: 250), 3 neighbours per anchor, 64 anchors per batch (the thesis:
16), lambda 0.4, no in-batch threshold in cycles 1-3 (the thesis' T_h1 0.95
is ``--positive-threshold 0.95``), 4 cycles of which the last mines hard
negatives with bands 0.75 / 0.5 and threshold 0.6, memory negatives excluding
each image's top 50 candidates from 7 % of the training on (step 4k of 60k),
Adam with weight decay 1e-4 at lr 1e-4, x0.1 after two thirds of each cycle,
x0.3 in the last cycle (3e-5 against 1e-4 in the code). Pools and batches
shrink to what a small dataset holds. Embeddings are compared by cosine.
"""

from dataclasses import dataclass

from tfreid.data.names import AUGMENTATIONS
from tfreid.errors import ConfigError
from tfreid.registry import option
from tfreid.training.methods.base import Method, Plan


@dataclass
class InsClrOptions:
    pool_size: int = option(500, "candidate pool per image (the thesis: 250)", minimum=1)
    neighbours: int = option(3, "pool neighbours joining each anchor in a batch", minimum=1)
    anchors: int = option(64, "anchors per batch (the thesis: 16)", minimum=1)
    margin: float = option(0.4, "lambda: negatives more similar than this are pushed")
    cycles: int = option(4, "training cycles; with 4 or more the last mines hard negatives",
                         minimum=1)
    positive_threshold: float | None = option(None, "cycles 1-3: a neighbour is positive "
                                              "only above this cosine (the thesis: 0.95)")
    high: float = option(0.75, "last cycle: pool members this similar are positives")
    low: float = option(0.5, "last cycle: pool members less similar are negatives")
    threshold: float = option(0.6, "last cycle: mining and neighbour threshold")
    passes: int = option(4, "last cycle: band mining passes", minimum=0)
    top: int = option(5, "last cycle: band members added per pass", minimum=1)
    exclusion: int = option(50, "pool members never used as memory negatives", minimum=0)
    memory_from: float = option(0.07, "share of the training after which memory rows are "
                                "negatives", minimum=0.0)
    weight_decay: float = option(1e-4, "Adam weight decay", minimum=0.0)
    augment: str = option("crop_flip", "how a batch image is drawn", AUGMENTATIONS)
    steps_per_epoch: int | None = option(None, "batches per epoch (default: training images "
                                         "// anchors)")


class InsClrMethod(Method):
    """InsCLR (module docstring)."""

    name = "insclr"
    description = "self-supervised: candidate-pool neighbours, memory bank, cycles (003, 3.2)"
    Options = InsClrOptions
    defaults = {"lr": 1e-4, "epochs": 40}
    self_supervised = True
    metric = "cosine"

    def check(self) -> None:
        super().check()
        if self.config.epochs < self.options.cycles:
            raise ConfigError(f"{self.options.cycles} cycles need at least as many epochs, "
                              f"got {self.config.epochs}")

    def settings(self, count: int) -> dict:
        """The model's settings, pool and batch sizes capped by the ``count`` images."""
        options, config = self.options, self.config
        pool = min(options.pool_size, count - 1)
        epochs_per_cycle = config.epochs // options.cycles
        steps = options.steps_per_epoch or max(1, count // min(options.anchors, count))
        return {"pool_size": pool, "neighbours": min(options.neighbours, pool),
                "anchors": min(options.anchors, count), "margin": options.margin,
                "cycles": options.cycles, "epochs_per_cycle": epochs_per_cycle,
                "positive_threshold": options.positive_threshold, "high": options.high,
                "low": options.low, "threshold": options.threshold, "passes": options.passes,
                "top": options.top, "exclusion": min(options.exclusion, pool),
                "memory_from_step": int(options.memory_from * steps * config.epochs),
                "steps_per_epoch": steps}

    def plan(self, encoder, data: dict) -> Plan:
        from tfreid.backend import keras
        from tfreid.training.self_supervised.instance_contrast_model import (
            InstanceContrastModel,
        )
        from tfreid.training.self_supervised.neighbour_model import (
            RefreshNeighbours,
            check_streamable,
            step_stream,
        )
        from tfreid.training.self_supervised.schedules import CycleSchedule

        images = data["train"].images
        check_streamable(images, self.config)
        settings = self.settings(len(images))
        model = InstanceContrastModel(encoder, images, settings, self.options.augment,
                                      self.config.seed)
        steps = settings["steps_per_epoch"]
        schedule = CycleSchedule(self.config.lr, steps * settings["epochs_per_cycle"],
                                 settings["cycles"])
        optimizer = keras.optimizers.Adam(schedule, weight_decay=self.options.weight_decay)
        return Plan(model, None, step_stream, steps, optimizer=optimizer,
                    every_start=[lambda logdir: RefreshNeighbours()])

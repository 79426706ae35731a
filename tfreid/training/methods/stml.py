"""Self-taught metric learning (Kim et al., CVPR 2022, STML; thesis 003, section 3.3): a
student taught by the contextualised similarities of its own EMA teacher, no labels.

Defaults follow the authors' code (STML-CVPR22): sigma 3, delta 1 (0.9 on
SOP), 5 neighbours per anchor (2 on SOP), EMA momentum 0.999 (0.9 on SOP),
a 1024-d teacher head, AdamW (the code's AdamP has no Keras counterpart) at lr
1e-4 with weight decay 1e-2 and a cosine schedule, 24 anchors x 5 neighbours x 2
views = 240 rows a batch, views of random resized crop (16-100 %) and flip.
The thesis' "q = 5, k = 11" is ``--queries 5 --num-neighbours 11``. With few
steps per epoch (small data) a momentum of about 0.99 lets the teacher follow
(design brief A3). Embeddings are compared by Euclidean distance, as the
relaxed contrastive loss trains them.
"""

from dataclasses import dataclass

from tfreid.data.names import AUGMENTATIONS
from tfreid.errors import ConfigError
from tfreid.registry import option
from tfreid.training.methods.base import Method, Plan


@dataclass
class SelfTaughtOptions:
    sigma: float = option(3.0, "Gaussian kernel bandwidth of the pairwise similarity",
                          minimum=1e-6)
    delta: float = option(1.0, "relaxed contrastive margin (0.9 on SOP)", minimum=0.0)
    num_neighbours: int = option(5, "neighbours per anchor, itself included (2 on SOP)",
                                 minimum=2)
    queries: int = option(24, "anchors per batch (the thesis: 5)", minimum=1)
    momentum: float = option(0.999, "teacher EMA momentum (0.9 on SOP)", minimum=0.0)
    wide_dim: int = option(1024, "dims of the teacher head g", minimum=1)
    weight_decay: float = option(1e-2, "AdamW weight decay", minimum=0.0)
    augment: str = option("crop_flip", "how the two views are drawn", AUGMENTATIONS)
    steps_per_epoch: int | None = option(None, "batches per epoch (default: training images "
                                         "// (queries x neighbours))")


class SelfTaughtMethod(Method):
    """STML (module docstring)."""

    name = "stml"
    description = "self-supervised: student and EMA teacher, contextualised similarity (003, 3.3)"
    Options = SelfTaughtOptions
    defaults = {"lr": 1e-4, "epochs": 90}
    self_supervised = True

    def check(self) -> None:
        super().check()
        if not self.options.momentum < 1.0:
            raise ConfigError(f"momentum must be below 1, got {self.options.momentum}")

    def plan(self, encoder, data: dict) -> Plan:
        from tfreid.backend import keras
        from tfreid.training.self_supervised.neighbour_model import (
            RefreshNeighbours,
            check_streamable,
            step_stream,
        )
        from tfreid.training.self_supervised.self_taught_model import SelfTaughtModel

        options, config = self.options, self.config
        images = data["train"].images
        check_streamable(images, self.config)
        model = SelfTaughtModel(encoder, images, options.wide_dim, options.num_neighbours,
                                options.queries, options.sigma, options.delta, options.momentum,
                                options.augment, config.seed)
        per_batch = options.queries * options.num_neighbours
        steps = options.steps_per_epoch or max(1, len(images) // per_batch)
        schedule = keras.optimizers.schedules.CosineDecay(config.lr, steps * config.epochs)
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=options.weight_decay)
        return Plan(model, None, step_stream, steps, optimizer=optimizer,
                    every_start=[lambda logdir: RefreshNeighbours()])

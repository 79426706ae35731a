"""Spreading (Ye et al., CVPR 2019; thesis 003, section 3.1): instance discrimination
with spread-out negatives, no labels.

Each batch holds m training images as two augmented views each (2m rows);
the rows' labels are the images' indices, never their identities, so the
loss finds each row's partner view by instance (``SpreadingLoss``). Defaults
follow the authors' code (UEL): temperature 0.1, stop-gradient on the keys,
SGD with momentum 0.9 and weight decay 5e-4 at lr 1e-3, lowered x0.1 and
x0.01 after a third and two thirds of the epochs (20 and 40 of 60), views of
random crop and flip. The thesis' one-sided form without stop-gradient is
``stop_gradient=False`` in part (see ``SpreadingLoss``). Embeddings are
compared by cosine, as the code's L2-normalised output.
"""

from dataclasses import dataclass

from tfreid.data.names import AUGMENTATIONS
from tfreid.registry import option
from tfreid.training.methods.base import Method, Plan


@dataclass
class SpreadingOptions:
    temperature: float = option(0.1, "softmax temperature tau (code and thesis: 0.1)",
                                minimum=1e-6)
    stop_gradient: bool = option(True, "no gradient through the keys (the code; the thesis "
                                 "has none)")
    augment: str = option("crop_flip", "how the two views are drawn", AUGMENTATIONS)
    momentum: float = option(0.9, "SGD momentum", minimum=0.0)
    weight_decay: float = option(5e-4, "SGD weight decay", minimum=0.0)
    steps_per_epoch: int | None = option(None, "batches per epoch (default: training images "
                                         "// batch size)")


class SpreadingMethod(Method):
    """Spreading (module docstring): ``batch_size`` images, two views each."""

    name = "spreading"
    description = "self-supervised: instance discrimination, spread-out negatives (003, 3.1)"
    Options = SpreadingOptions
    defaults = {"lr": 1e-3, "epochs": 60, "batch_size": 64}
    self_supervised = True
    metric = "cosine"

    def plan(self, encoder, data: dict) -> Plan:
        import numpy as np

        from tfreid.backend import keras
        from tfreid.data.views import anchor_positive_dataset
        from tfreid.losses import SpreadingLoss

        options, config = self.options, self.config
        images = data["train"].images
        batch = min(config.batch_size, len(images))
        steps = options.steps_per_epoch or max(1, len(images) // batch)
        instances = np.arange(len(images))  # labels never reach training

        def stream(start_step: int):
            return anchor_positive_dataset(images, instances, options.augment, batch,
                                           config.seed, augment_anchor=True,
                                           start_step=start_step)

        total = steps * config.epochs
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
            [total // 3, 2 * total // 3], [config.lr, config.lr * 0.1, config.lr * 0.01])
        optimizer = keras.optimizers.SGD(schedule, momentum=options.momentum,
                                         weight_decay=options.weight_decay)
        return Plan(encoder, SpreadingLoss(options.temperature, options.stop_gradient), stream,
                    steps, optimizer=optimizer)

"""Paper 000's triplet training: fixed random triplets and the triplet loss (eq. 1).

``num_triplets`` (10,000) (anchor, positive, negative) triplets are drawn once,
as psorus/cf's ``gen_triplets``, and reshuffled every epoch; l2 distance with
margin 1.0 (``squared`` for psorus/cf's squared l2), Adam 1e-3, batch 128, at
most 100 epochs, early stopping with patience 10 (section III-A).
"""

import math
from dataclasses import dataclass

from tfreid.errors import ConfigError
from tfreid.registry import option
from tfreid.training.methods.base import Method, Plan


@dataclass
class TripletOptions:
    num_triplets: int = option(10_000, "fixed random triplets drawn once (paper 000)", minimum=1)
    margin: float = option(1.0, "triplet margin alpha")
    squared: bool = option(False, "squared l2 distance (psorus/cf's code)")


class TripletMethod(Method):
    """Fixed random triplets (module docstring)."""

    name = "triplet"
    description = "paper 000: fixed random triplets, triplet loss"
    Options = TripletOptions
    defaults = {"epochs": 100, "batch_size": 128, "lr": 1e-3, "patience": 10}
    takes_train_augment = True

    def run_prefix(self) -> str:
        return "triplet-random"

    def check(self) -> None:
        super().check()
        if not (math.isfinite(self.options.margin) and self.options.margin > 0):
            raise ConfigError(f"margin must be finite and above 0, got {self.options.margin}")

    def plan(self, encoder, data: dict) -> Plan:
        from tfreid.data.triplets import random_triplets, triplet_dataset
        from tfreid.losses import TripletLoss
        from tfreid.models.triplet import build_triplet_model
        from tfreid.training.methods.sampling import augmented_images_callbacks, augmented_stream

        config, options = self.config, self.options
        train, val = data["train"], data["validation"]
        triplets = random_triplets(train.identities, options.num_triplets, config.seed)
        val_triplets = random_triplets(val.identities, max(256, options.num_triplets // 10),
                                       config.seed + 1)
        steps = math.ceil(len(triplets) / config.batch_size)

        def epochs_from(start_step: int):  # streams start at an epoch: start_step = e x steps
            return triplet_dataset(train.images, triplets, config.batch_size, config.seed,
                                   start_epoch=start_step // steps)

        validation = triplet_dataset(val.images, val_triplets, config.batch_size, config.seed,
                                     shuffle=False)
        stream = augmented_stream(config, epochs_from)
        return Plan(build_triplet_model(encoder), TripletLoss(options.margin, options.squared),
                    stream, steps,
                    validation.take(math.ceil(len(val_triplets) / config.batch_size)).cache(),
                    callbacks=augmented_images_callbacks(config, stream))

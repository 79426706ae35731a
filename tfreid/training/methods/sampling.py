"""Training and validation streams that several methods share, and their augmentation."""

from collections.abc import Callable
from typing import Any

import numpy as np

from tfreid.data.triplets import pk_dataset

Stream = Callable[[int], Any]


def pk_streams(config, data: dict, k: int, validation_steps: int, labels=None):
    """(stream from a start step, validation batches) of P x K batches, P = batch / K.

    ``labels`` maps identities to the labels the loss sees (ProxyNCA's class
    indices); by default the identities themselves. The training stream is augmented
    with ``config.train_augment`` (``augmented_stream``), the validation batches never.
    """
    p = config.batch_size // k
    train, val = data["train"], data["validation"]
    relabel = labels or (lambda identities: identities)
    val_ids = len(np.unique(val.identities))
    validation = pk_dataset(val.images, relabel(val.identities), min(p, val_ids), k,
                            config.seed + 1)

    def stream(start_step: int):
        return pk_dataset(train.images, relabel(train.identities), p, k, config.seed,
                          start_step)

    return augmented_stream(config, stream), validation.take(validation_steps).cache()


def augmented_stream(config, stream: Stream) -> Stream:
    """``stream`` (batches from a start step) with ``config.train_augment`` applied to its
    inputs, seeded by (run seed, step, position in the batch) (``tfreid.data.reid_augment``);
    ``stream`` itself without augmentations."""
    if not config.train_augment:
        return stream
    from tfreid.data.reid_augment import augment_stream

    def augmented(start_step: int):
        return augment_stream(stream(start_step), config.train_augment, config.seed,
                              start_step)

    return augmented


def augmented_images_callbacks(config, stream: Stream) -> list[Callable[[Any], Any]]:
    """The first-start callback makers (``Plan.callbacks``) that show the first augmented
    training batch in TensorBoard (``AugmentedImages``); none without augmentations."""
    if not config.train_augment:
        return []

    def make(logdir):
        from tfreid.callbacks import AugmentedImages

        inputs = next(iter(stream(0)))[0]
        images = inputs if not isinstance(inputs, dict) else inputs[sorted(inputs)[0]]
        return AugmentedImages(str(logdir / "train"), np.asarray(images))

    return [make]

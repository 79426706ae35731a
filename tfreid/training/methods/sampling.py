"""Training and validation streams that several methods share."""

import numpy as np

from tfreid.data.triplets import pk_dataset


def pk_streams(config, data: dict, k: int, validation_steps: int, labels=None):
    """(stream from a start step, validation batches) of P x K batches, P = batch / K.

    ``labels`` maps identities to the labels the loss sees (ProxyNCA's class
    indices); by default the identities themselves.
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

    return stream, validation.take(validation_steps).cache()

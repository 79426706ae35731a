"""Evaluation protocols that are more than one fixed query / gallery split.

VehicleID (Liu et al., CVPR 2016): from the test list, one random image of each
identity forms the gallery and every other image is a query; the measures are averaged
over repeated draws (10 by convention). An importer records the protocol in the
manifest (``tfreid.data.importers.vehicleid``); evaluation makes the draws with
``random_gallery_draws``.
"""

from collections.abc import Sequence

import numpy as np

from tfreid.errors import ConfigError


def random_gallery_draws(identities: Sequence[int], draws: int,
                         seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``draws`` seeded (query indices, gallery indices) splits of the images whose
    identities are ``identities``: each gallery holds one random image of every identity,
    the queries are all the others; both sorted. Draw ``d`` depends only on (seed, d)."""
    if draws < 1 or seed < 0:
        raise ConfigError(f"random gallery draws need draws >= 1 and seed >= 0, got "
                          f"{draws} and {seed}")
    identities = np.asarray(identities, dtype=np.int64).reshape(-1)
    splits = []
    for draw in range(draws):
        keys = np.random.default_rng([seed, draw]).random(len(identities))
        order = np.lexsort((keys, identities))  # by identity, then at random
        ordered = identities[order]
        first = np.ones(len(order), bool)
        first[1:] = ordered[1:] != ordered[:-1]
        splits.append((np.sort(order[~first]), np.sort(order[first])))
    return splits

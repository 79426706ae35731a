"""Identity-disjoint splitting, following the re-identification protocol."""

import numpy as np

from tfreid.data.reader import SplitArrays
from tfreid.errors import DataError


def hold_out_identities(
    data: SplitArrays, fraction: float, seed: int
) -> tuple[SplitArrays, SplitArrays]:
    """Split ``data`` by identity: (kept, held out), no identity in both."""
    ids = np.unique(data.identities)
    count = int(round(len(ids) * fraction))
    if not 2 <= count <= len(ids) - 2:
        raise DataError(f"cannot hold out {fraction:.0%} of {len(ids)} identities "
                        "and keep at least 2 on each side")
    held = np.random.default_rng([seed, 11]).choice(ids, size=count, replace=False)
    mask = np.isin(data.identities, held)
    return data.subset(~mask), data.subset(mask)


def query_gallery_split(data: SplitArrays, seed: int) -> tuple[SplitArrays, SplitArrays]:
    """One query image per identity (seeded); the rest is the gallery.

    Identities with a single image go to the gallery only, as distractors.
    """
    rng = np.random.default_rng([seed, 13])
    query_index = []
    for identity in np.unique(data.identities):
        members = np.flatnonzero(data.identities == identity)
        if len(members) > 1:
            query_index.append(rng.choice(members))
    if not query_index:
        raise DataError("no identity has two images: cannot form queries with a true match")
    is_query = np.zeros(len(data), dtype=bool)
    is_query[query_index] = True
    return data.subset(is_query), data.subset(~is_query)

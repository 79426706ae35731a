"""Splitting: identity-disjoint (the re-identification protocol) or stratified by class."""

import numpy as np

from tfreid.data.split import Split
from tfreid.errors import DataError


def hold_out_identities(
    data: Split, fraction: float, seed: int
) -> tuple[Split, Split]:
    """Split ``data`` by identity: (kept, held out), no identity in both.

    max(2, round(fraction * identities)) identities are held out (a ranking
    needs at least two); at least two must stay.
    """
    ids = np.unique(data.identities)
    count = max(2, int(round(len(ids) * fraction)))
    if count > len(ids) - 2:
        raise DataError(f"cannot hold out {fraction:.0%} of {len(ids)} identities "
                        "and keep at least 2 on each side")
    held = np.random.default_rng([seed, 11]).choice(ids, size=count, replace=False)
    mask = np.isin(data.identities, held)
    return data.subset(~mask), data.subset(mask)


def query_gallery_split(data: Split, seed: int) -> tuple[Split, Split]:
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


def concatenate(parts: list[Split]) -> Split:
    """One Split holding all entries of ``parts`` in order (in memory or streamed)."""
    return Split.concatenate(parts)


def identity_folds(
    data: Split, num_folds: int, fold: int, seed: int
) -> tuple[Split, Split]:
    """(train, test) for fold ``fold`` of ``num_folds`` identity-disjoint folds.

    Identities are shuffled (seeded) and dealt round-robin into folds, so fold
    sizes differ by at most one identity; fold ``fold`` is the test set.
    """
    ids = np.unique(data.identities)
    if len(ids) < 2 * num_folds:
        raise DataError(f"{len(ids)} identities are too few for {num_folds} folds")
    shuffled = np.random.default_rng([seed, 19]).permutation(ids)
    test_mask = np.isin(data.identities, shuffled[fold::num_folds])
    return data.subset(~test_mask), data.subset(test_mask)


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of a seeded test set holding ``test_fraction`` of every class."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), bool)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        test[members[:max(1, round(len(members) * test_fraction))]] = True
    return test

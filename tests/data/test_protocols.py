"""VehicleID's repeated random galleries (tfreid.data.protocols, issue 22 item 1)."""

import numpy as np
import pytest

from tfreid.data.protocols import random_gallery_draws
from tfreid.errors import ConfigError

# 6 identities of 5 images each, interleaved, plus identity 9 with one image
IDENTITIES = [i % 6 for i in range(30)] + [9]


def test_each_gallery_holds_every_identity_once_and_the_queries_are_the_rest():
    identities = np.asarray(IDENTITIES)
    draws = random_gallery_draws(IDENTITIES, 10, seed=3)
    assert len(draws) == 10
    for query, gallery in draws:
        assert sorted(identities[gallery].tolist()) == [0, 1, 2, 3, 4, 5, 9]
        assert len(query) == 24 and len(gallery) == 7
        assert sorted([*query.tolist(), *gallery.tolist()]) == list(range(31))
        assert list(query) == sorted(query) and list(gallery) == sorted(gallery)
        assert 30 in gallery.tolist()  # a lone image is always its identity's gallery
        assert np.bincount(identities[query]).tolist() == [4, 4, 4, 4, 4, 4]


def test_draws_are_seeded_and_differ_from_each_other():
    first = random_gallery_draws(IDENTITIES, 10, seed=0)
    again = random_gallery_draws(IDENTITIES, 10, seed=0)
    other = random_gallery_draws(IDENTITIES, 10, seed=1)
    galleries = [tuple(gallery.tolist()) for _, gallery in first]
    assert galleries == [tuple(gallery.tolist()) for _, gallery in again]
    assert len(set(galleries)) == 10
    assert galleries != [tuple(gallery.tolist()) for _, gallery in other]
    prefix = random_gallery_draws(IDENTITIES, 3, seed=0)  # draw d depends on (seed, d) only
    assert [tuple(g.tolist()) for _, g in prefix] == galleries[:3]


def test_refuses_no_draws_and_negative_seeds():
    with pytest.raises(ConfigError, match="draws >= 1 and seed >= 0, got 0 and 0"):
        random_gallery_draws(IDENTITIES, 0, seed=0)
    with pytest.raises(ConfigError, match="got 2 and -1"):
        random_gallery_draws(IDENTITIES, 2, seed=-1)

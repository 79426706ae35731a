import numpy as np
import pytest

from tfreid.data.triplets import pk_dataset, random_triplets, triplet_dataset
from tfreid.errors import DataError

pytestmark = pytest.mark.numeric  # the same seed gives the same triplets


def test_random_triplets_are_valid_and_seeded():
    identities = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])  # identity 2 has one image
    triplets = random_triplets(identities, 500, seed=0)
    a, p, n = triplets.T
    assert (identities[a] == identities[p]).all() and (a != p).all()
    assert (identities[a] != identities[n]).all()
    assert 2 not in identities[a] and 2 in identities[n]  # lonely: negative only
    np.testing.assert_array_equal(triplets, random_triplets(identities, 500, seed=0))
    assert (triplets != random_triplets(identities, 500, seed=1)).any()
    with pytest.raises(DataError):
        random_triplets(np.array([0, 1, 2]), 5, seed=0)


def test_triplet_dataset_gathers_images():
    identities = np.array([0, 0, 1, 1])
    images = np.arange(4, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    triplets = random_triplets(identities, 6, seed=0)
    inputs, _ = next(iter(triplet_dataset(images, triplets, 6, seed=0, shuffle=False)))
    for column, name in enumerate(("anchor", "positive", "negative")):
        np.testing.assert_array_equal(inputs[name].numpy()[:, 0, 0, 0], triplets[:, column])


def test_pk_batches():
    identities = np.repeat(np.arange(8), [2, 3, 4, 5, 6, 2, 3, 9])
    images = np.arange(len(identities), dtype=np.uint8)[:, None, None, None] * np.ones(
        (1, 1, 1, 3), np.uint8)
    seen = set()
    for pixels, labels in pk_dataset(images, identities, p=4, k=3, seed=0).take(30):
        index, labels = pixels.numpy()[:, 0, 0, 0], labels.numpy()
        np.testing.assert_array_equal(identities[index], labels)
        groups = labels.reshape(4, 3)
        assert (groups == groups[:, :1]).all() and len(set(groups[:, 0])) == 4
        for group, ids in zip(index.reshape(4, 3), groups[:, 0], strict=True):
            # Distinct images when the identity has >= K of them.
            assert len(set(group)) == min(3, (identities == ids).sum())
        seen.update(index)
    assert seen == set(range(len(identities)))
    first = [b.numpy() for b, _ in pk_dataset(images, identities, 4, 3, seed=5).take(3)]
    again = [b.numpy() for b, _ in pk_dataset(images, identities, 4, 3, seed=5).take(3)]
    np.testing.assert_array_equal(first, again)
    with pytest.raises(DataError, match="P x K"):
        pk_dataset(images, identities, p=9, k=3, seed=0)

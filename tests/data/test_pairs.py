import numpy as np
import pytest

from tfreid.data.pairs import pair_dataset
from tfreid.errors import DataError


def labelled_images(identities):
    # Each image's pixel value is its own index, so a pair's images tell which indices were drawn.
    index = np.arange(len(identities), dtype=np.uint8)
    return np.broadcast_to(index[:, None, None, None], (len(identities), 2, 2, 3)).copy()


def drawn_pairs(identities, seed, batches=20, batch_size=16):
    images = labelled_images(identities)
    dataset = pair_dataset(images, identities, batch_size, seed, targets=("distance", "logit"))
    rows = []
    for inputs, targets in dataset.take(batches).as_numpy_iterator():
        np.testing.assert_array_equal(targets["distance"], targets["logit"])
        rows.append(np.stack([inputs["image_a"][:, 0, 0, 0], inputs["image_b"][:, 0, 0, 0],
                              targets["distance"]], axis=1))
    return np.concatenate(rows).astype(int)


def test_pairs_are_balanced_and_correct():
    identities = np.array([3, 3, 3, 9, 9, 4, 4, 4, 4, 7, 7])
    pairs = drawn_pairs(identities, seed=0)
    a, b, label = pairs.T
    assert label.mean() == 0.5
    for batch in np.split(label, 20):
        assert batch.sum() == 8  # exactly half of every batch
    same = identities[a] == identities[b]
    np.testing.assert_array_equal(same, label == 1)
    assert (a[label == 1] != b[label == 1]).all()  # never an image paired with itself
    assert len(set(a)) == len(identities)  # every image serves as anchor


def test_pairs_are_seeded():
    identities = np.repeat(np.arange(6), 3)
    np.testing.assert_array_equal(drawn_pairs(identities, 1), drawn_pairs(identities, 1))
    assert (drawn_pairs(identities, 1) != drawn_pairs(identities, 2)).any()


def test_identity_with_one_image_is_an_error():
    with pytest.raises(DataError, match="identity 5 has only 1 image"):
        pair_dataset(labelled_images(np.array([1, 1, 5])), np.array([1, 1, 5]), 4, 0)
    with pytest.raises(DataError, match="at least 2"):
        pair_dataset(labelled_images(np.array([1, 1])), np.array([1, 1]), 4, 0)
    with pytest.raises(DataError, match="even"):
        pair_dataset(labelled_images(np.array([1, 1, 2, 2])), np.array([1, 1, 2, 2]), 3, 0)


def test_identity_folds_partition_the_identities():
    from tfreid.data.reader import SplitArrays
    from tfreid.data.splits import identity_folds

    ids = np.repeat(np.arange(11), 3)
    data = SplitArrays(np.zeros((len(ids), 1, 1, 3), np.uint8), ids, np.zeros(len(ids), int),
                       np.array(["f"] * len(ids)))
    tests = []
    for fold in range(3):
        train, test = identity_folds(data, 3, fold, seed=4)
        assert not set(train.identities) & set(test.identities)
        assert len(train) + len(test) == len(ids)
        tests.append(set(test.identities))
    assert set.union(*tests) == set(range(11)) and sum(map(len, tests)) == 11
    assert sorted(map(len, tests)) == [3, 4, 4]
    with pytest.raises(DataError, match="too few for 6 folds"):
        identity_folds(data, 6, 0, seed=0)

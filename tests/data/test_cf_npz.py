import numpy as np
import pytest

from tfreid.cli.make_tfrecords import main as make_tfrecords
from tfreid.data import load_split
from tfreid.data.cf_npz import cf_npz_records, cf_npz_vectors
from tfreid.errors import DataError
from tfreid.metrics import evaluate_ranking


def write_cf_file(path, floats=True, vectors=False):
    rng = np.random.default_rng(0)
    images = rng.random((10, 12, 20, 3)) if floats else rng.integers(0, 256, (10, 12, 20, 3),
                                                                     dtype=np.uint8)
    arrays = dict(x=images[:6], i=np.array([0, 0, 1, 1, 2, 2]), tx=images[6:8],
                  ti=np.array([3, 4]), gx=images[8:], gi=np.array([3, 4]))
    if vectors:
        arrays.update(temb=np.eye(2), tid=np.array([3, 4]), gemb=np.eye(2) * 1.1,
                      gid=np.array([3, 4]))
    np.savez(path, **arrays)
    return images


@pytest.mark.parametrize("floats", [True, False])
def test_images_round_trip(tmp_path, floats):
    images = write_cf_file(tmp_path / "fold0.npz", floats)
    assert make_tfrecords(["cf-npz", str(tmp_path / "fold0.npz"), "--out",
                           str(tmp_path / "ds")]) == 0
    train = load_split(tmp_path / "ds", "train", (12, 20))
    expected = np.round(images[:6] * 255).astype(np.uint8) if floats else images[:6]
    np.testing.assert_array_equal(train.images, expected)
    np.testing.assert_array_equal(train.identities, [0, 0, 1, 1, 2, 2])
    gallery = load_split(tmp_path / "ds", "gallery", (12, 20))
    assert set(gallery.cameras) == {1} and list(gallery.identities) == [3, 4]


def test_vectors_and_errors(tmp_path):
    write_cf_file(tmp_path / "v.npz", vectors=True)
    vectors = cf_npz_vectors(tmp_path / "v.npz")
    (q, qid), (g, gid) = vectors["query"], vectors["gallery"]
    assert evaluate_ranking(q, qid, g, gid)["rank1"] == 1.0
    with pytest.raises(DataError, match="no precomputed vectors"):
        write_cf_file(tmp_path / "plain.npz")
        cf_npz_vectors(tmp_path / "plain.npz")
    np.savez(tmp_path / "bad.npz", x=np.zeros((2, 5)), i=np.zeros(2), tx=np.zeros((1, 5)),
             ti=np.zeros(1), gx=np.zeros((1, 5)), gi=np.zeros(1))
    with pytest.raises(DataError, match="feature vectors go in emb"):
        cf_npz_records(tmp_path / "bad.npz")
    with pytest.raises(DataError, match="does not exist"):
        cf_npz_records(tmp_path / "nope.npz")
    np.savez(tmp_path / "partial.npz", x=np.zeros((2, 4, 4, 3)))
    with pytest.raises(DataError, match="lacks array"):
        cf_npz_records(tmp_path / "partial.npz")


import numpy as np
import pytest

from tfreid.cli.make_tfrecords import main as make_tfrecords
from tfreid.data import load_split, read_manifest
from tfreid.data.class_datasets import array_records, digits_records, idx_records
from tfreid.data.idx import read_idx, write_idx
from tfreid.errors import DataError


def test_idx_header_written_by_hand_is_read(tmp_path):
    # magic 0x00000801 (uint8, 1 dim), size 3, data 7 8 9: the MNIST label layout.
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    np.testing.assert_array_equal(read_idx(path), [7, 8, 9])
    # int32, 2 x 1, big-endian 258 and -1
    path.write_bytes(bytes([0, 0, 0x0C, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 2, 255, 255, 255, 255]))
    np.testing.assert_array_equal(read_idx(path), [[258], [-1]])


@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32])
def test_idx_round_trip(tmp_path, name, dtype):
    array = (np.random.default_rng(0).normal(size=(4, 3, 2)) * 50).astype(dtype)
    write_idx(tmp_path / name, array)
    restored = read_idx(tmp_path / name)
    assert restored.dtype == dtype
    np.testing.assert_array_equal(restored, array)


def test_idx_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_idx(tmp_path / "missing")
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01")
    with pytest.raises(DataError, match="bad magic"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "short", np.zeros((5, 2, 2), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(DataError, match="needs 20"):
        read_idx(tmp_path / "short")
    (tmp_path / "x.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match="gzip"):
        read_idx(tmp_path / "x.gz")


def write_mnist_folder(folder, train=12, test=6, side=8):
    rng = np.random.default_rng(1)
    folder.mkdir()
    arrays = {}
    for prefix, count in (("train", train), ("t10k", test)):
        images = rng.integers(0, 256, (count, side, side), dtype=np.uint8)
        labels = (np.arange(count) % 3).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(  # plain, written by hand
            bytes([0, 0, 8, 1]) + np.array([count], ">u4").tobytes() + labels.tobytes())
        arrays[prefix] = (images, labels)
    return arrays


def test_idx_folder_to_tfrecords_and_back(tmp_path):
    arrays = write_mnist_folder(tmp_path / "mnist")
    out = tmp_path / "ds"
    assert make_tfrecords(["idx", str(tmp_path / "mnist"), "--out", str(out)]) == 0
    manifest = read_manifest(out)
    assert manifest["splits"]["train"]["num_images"] == 12
    assert manifest["splits"]["test"]["num_identities"] == 3
    test = load_split(out, "test", (8, 8))
    images, labels = arrays["t10k"]
    np.testing.assert_array_equal(test.identities, labels)
    np.testing.assert_array_equal(np.asarray(test.images)[..., 0], images)  # grey, lossless PNG
    np.testing.assert_array_equal(np.asarray(test.images)[..., 2], images)


def test_missing_idx_file_and_count_mismatch(tmp_path, capsys):
    write_mnist_folder(tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    assert make_tfrecords(["idx", str(tmp_path / "mnist"), "--out", str(tmp_path / "o")]) == 2
    assert "has no t10k-labels-idx1-ubyte" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(DataError, match="6 images but 5 labels"):
        idx_records(tmp_path / "mnist")


def test_fashion_mnist_missing_package_is_one_line(tmp_path, capsys):
    status = make_tfrecords(["fashion-mnist", "--root", str(tmp_path / "none"),
                             "--out", str(tmp_path / "o")])
    assert status == 2 and capsys.readouterr().err.count("\n") == 1


def test_digits_are_real_stratified_and_scaled():
    splits = digits_records(test_fraction=0.3, seed=0)
    assert len(splits["train"]) + len(splits["test"]) == 1797
    test_labels = np.array([r.identity for r in splits["test"]])
    counts = np.bincount(test_labels)
    assert len(counts) == 10 and counts.min() >= 50 and counts.max() <= 56
    assert {r.height for r in splits["test"]} == {8}


def test_array_records_rejects_bad_arrays():
    with pytest.raises(DataError, match="uint8"):
        array_records(np.zeros((2, 4, 4), np.float32), np.zeros(2), "x")
    with pytest.raises(DataError, match="3 labels"):
        array_records(np.zeros((2, 4, 4), np.uint8), np.zeros(3), "x")

import io
import json

import numpy as np
import pytest
from PIL import Image

from tfreid.data import load_split, read_manifest, split_dataset, write_dataset
from tfreid.data.images import probe_image
from tfreid.data.schema import ImageRecord
from tfreid.errors import DataError, OutputError


def png_record(pixels, identity, camera, name):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return ImageRecord(buffer.getvalue(), identity, camera, name, *pixels.shape[:2])


def make_records(count, size=(8, 6), seed=0):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (count, *size, 3), dtype=np.uint8)
    records = [png_record(p, i // 2, i % 3, f"img{i}.png") for i, p in enumerate(pixels)]
    return pixels, records


def test_round_trip_is_lossless_with_png(tmp_path):
    pixels, records = make_records(7)
    manifest = write_dataset(tmp_path / "ds", {"train": records}, name="ds", source="test",
                             images_per_shard=3)
    assert manifest["splits"]["train"]["files"] == [
        f"train-0000{i}-of-00003.tfrecord" for i in range(3)]
    assert manifest["image_size"] == [8, 6] and manifest["num_identities"] == 4
    assert read_manifest(tmp_path / "ds") == json.loads((tmp_path / "ds/manifest.json").read_text())
    loaded = load_split(tmp_path / "ds", "train", (8, 6))
    np.testing.assert_array_equal(loaded.images, pixels)  # same size: resize is the identity
    np.testing.assert_array_equal(loaded.identities, [r.identity for r in records])
    np.testing.assert_array_equal(loaded.cameras, [r.camera for r in records])
    assert list(loaded.filenames) == [r.filename for r in records]


def test_streaming_reader_resizes(tmp_path):
    _, records = make_records(4, size=(20, 10))
    write_dataset(tmp_path / "ds", {"train": records}, name="ds", source="test")
    batch = next(split_dataset(tmp_path / "ds", "train", (5, 4)).batch(4).as_numpy_iterator())
    assert batch["image"].shape == (4, 5, 4, 3) and batch["image"].dtype == np.uint8
    np.testing.assert_array_equal(batch["identity"], [0, 0, 1, 1])


def test_failed_write_leaves_nothing_behind(tmp_path):
    _, records = make_records(4)

    def failing():
        yield from records[:2]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_dataset(tmp_path / "ds", {"train": failing()}, name="ds", source="test")
    assert list(tmp_path.iterdir()) == []


def test_existing_dataset_is_kept_unless_overwritten(tmp_path):
    _, records = make_records(4)
    write_dataset(tmp_path / "ds", {"train": records}, name="ds", source="first")
    with pytest.raises(OutputError, match="already exists"):
        write_dataset(tmp_path / "ds", {"train": records[:2]}, name="ds", source="second")
    assert read_manifest(tmp_path / "ds")["source"] == "first"
    write_dataset(tmp_path / "ds", {"train": records[:2]}, name="ds", source="second",
                  overwrite=True)
    assert read_manifest(tmp_path / "ds")["source"] == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_shard_is_one_clear_error(tmp_path, damage):
    _, records = make_records(6)
    write_dataset(tmp_path / "ds", {"train": records}, name="ds", source="test")
    shard = tmp_path / "ds" / "train-00000-of-00001.tfrecord"
    data = bytearray(shard.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt TFRecord shard .*train-00000") as error:
        load_split(tmp_path / "ds", "train", (8, 6))
    assert "\n" not in str(error.value)


def test_undecodable_image_inside_a_shard(tmp_path):
    _, records = make_records(2)
    bad = ImageRecord(b"not an image", 5, 0, "bad.png", 8, 6)
    write_dataset(tmp_path / "ds", {"train": [*records, bad]}, name="ds", source="test")
    with pytest.raises(DataError, match="corrupt TFRecord shard"):
        load_split(tmp_path / "ds", "train", (8, 6))


def test_missing_and_empty(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_manifest(tmp_path / "nowhere")
    (tmp_path / "plain").mkdir()
    with pytest.raises(DataError, match="not a tfreid dataset"):
        read_manifest(tmp_path / "plain")
    _, records = make_records(2)
    write_dataset(tmp_path / "ds", {"train": records, "query": []}, name="ds", source="t")
    with pytest.raises(DataError, match="split 'query' .* is empty"):
        load_split(tmp_path / "ds", "query", (8, 6))
    with pytest.raises(DataError, match="no split 'gallery'"):
        load_split(tmp_path / "ds", "gallery", (8, 6))
    (tmp_path / "ds" / "train-00000-of-00001.tfrecord").unlink()
    with pytest.raises(DataError, match="lacks shard"):
        read_manifest(tmp_path / "ds")


def test_probe_rejects_truncated_jpeg():
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(buffer, format="JPEG")
    assert probe_image(buffer.getvalue(), "ok.jpg") == (32, 32)
    with pytest.raises(DataError, match="bad.jpg does not decode"):
        probe_image(buffer.getvalue()[:100], "bad.jpg")


def test_generated_surfaces_follow_the_protocol(tiny_dataset):
    manifest = read_manifest(tiny_dataset)
    splits = manifest["splits"]
    train_ids, query_ids = set(splits["train"]["identities"]), set(splits["query"]["identities"])
    assert not train_ids & query_ids
    assert query_ids == set(splits["gallery"]["identities"])
    assert splits["query"]["num_images"] == len(query_ids)  # one query per held-out identity
    assert manifest["image_size"] == [96, 96] and manifest["num_identities"] == 14

"""One Dataset object: its manifest read once, its splits in memory or streamed alike, and
one SplitImages protocol for both kinds of images."""

import json
import pathlib

import numpy as np
import pytest

from tests.data.test_tfrecords import make_records
from tfreid.backend import tf
from tfreid.data import (
    ArrayImages,
    Dataset,
    RecordImages,
    Split,
    SplitArrays,
    SplitImages,
    write_dataset,
)
from tfreid.data.record_images import with_images
from tfreid.data.split_images import as_images
from tfreid.data.splits import concatenate
from tfreid.errors import ConfigError, DataError

pytestmark = pytest.mark.numeric  # streamed pixels against in-memory ones, exactly


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Three splits of PNG records (lossless), several shards each, two named identities."""
    out = tmp_path_factory.mktemp("dataset") / "small"
    _, records = make_records(14)
    write_dataset(out, {"train": records[:8], "query": records[8:10], "gallery": records[10:]},
                  name="small", source="test", images_per_shard=3,
                  identity_names={0: "zero", 1: "one"})
    return out


@pytest.fixture
def manifest_reads(monkeypatch):
    """How many times a ``manifest.json`` is read from now on."""
    reads = []
    read_text = pathlib.Path.read_text

    def counting(path, *args, **kwargs):
        if path.name == "manifest.json":
            reads.append(path)
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "read_text", counting)
    return reads


def test_a_dataset_knows_its_name_splits_and_sizes(small, manifest_reads):
    dataset = Dataset(small)
    assert dataset.name == "small" and dataset.path == small and dataset.source == "test"
    assert dataset.split_names == ("train", "query", "gallery")
    assert dataset.identity_names == {0: "zero", 1: "one"}
    assert dataset.stored_image_size == (8, 6)
    assert dataset.split_info("query")["num_images"] == 2
    assert dataset.decoded_bytes((4, 5)) == 14 * 4 * 5 * 3
    assert dataset.choose_input("auto", (4, 5), budget=4 * 14 * 60) == "memory"
    assert dataset.choose_input("auto", (4, 5), budget=4 * 14 * 60 - 1) == "stream"
    assert dataset.revisited_masks(np.array(["img8.png"]), np.array(["img10.png"])) is None
    assert Dataset.open(dataset) is dataset and Dataset.open(str(small)).name == "small"
    assert "small" in repr(dataset)
    assert len(manifest_reads) == 2  # Dataset(small) and Dataset.open(str(small)), nothing more


def test_bad_datasets_and_splits_are_named(tmp_path, small):
    with pytest.raises(DataError, match="does not exist"):
        Dataset(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no manifest.json: not a tfreid dataset"):
        Dataset(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken/manifest.json").write_text("{not json")
    with pytest.raises(DataError, match="is not valid JSON"):
        Dataset(tmp_path / "broken")
    (tmp_path / "nosplits").mkdir()
    (tmp_path / "nosplits/manifest.json").write_text(json.dumps(
        {"format": "tfreid-tfrecord/1", "name": "x", "splits": {}}))
    with pytest.raises(DataError, match="'splits' must map split names"):
        Dataset(tmp_path / "nosplits")
    dataset = Dataset(small)
    with pytest.raises(DataError, match=r"no split 'test' \(\['gallery', 'query', 'train'\]\)"):
        dataset.split("test", (8, 6))
    with pytest.raises(ConfigError, match="unknown input 'disk'"):
        dataset.split("train", (8, 6), input="disk")


def test_memory_and_stream_splits_hold_the_same_pixels_and_labels(small):
    dataset = Dataset(small)
    memory = dataset.split("train", (5, 4), input="memory")
    streamed = dataset.split("train", (5, 4), input="stream")
    assert isinstance(memory, Split) and isinstance(streamed, Split)
    assert isinstance(memory.images, ArrayImages) and isinstance(streamed.images, RecordImages)
    assert memory.images.in_memory and memory.images.compiles_in_xla
    assert not streamed.images.in_memory and not streamed.images.compiles_in_xla
    for field in ("identities", "cameras", "filenames"):
        np.testing.assert_array_equal(getattr(memory, field), getattr(streamed, field))
    assert memory.images.shape == streamed.images.shape == (8, 5, 4, 3)
    assert memory.image_size == streamed.image_size == (5, 4)
    np.testing.assert_array_equal(streamed.images.rows(np.arange(8)), np.asarray(memory.images))


def test_both_kinds_of_images_answer_the_protocol_alike(small):
    dataset = Dataset(small)
    memory = dataset.split("train", (8, 6), input="memory")
    streamed = dataset.split("train", (8, 6), input="stream")
    pixels = np.asarray(memory.images)
    rows = np.array([5, 0, 7, 5])
    for images in (memory.images, streamed.images):
        assert isinstance(images, SplitImages) and len(images) == 8
        np.testing.assert_array_equal(images.rows(rows), pixels[rows])
        assert images.rows([]).shape == (0, 8, 6, 3)
        batches = list(images.batches(3))
        assert [len(b) for b in batches] == [3, 3, 2]
        np.testing.assert_array_equal(np.concatenate(batches), pixels)
        index = tf.constant([[1, 2], [6, 3]], tf.int64)
        np.testing.assert_array_equal(images.gather(index).numpy(), pixels[[[1, 2], [6, 3]]])
        picked = images[np.array([True, False] * 4)]
        assert type(picked) is type(images) and len(picked) == 4
        np.testing.assert_array_equal(np.concatenate(list(picked.batches(8))), pixels[::2])
        assert len(images[3]) == 1 and images[3].rows([0])[0].tolist() == pixels[3].tolist()
        np.testing.assert_array_equal(np.concatenate(list(images[2:5].batches(2))),
                                      pixels[2:5])
    for data in (memory, streamed):
        part = data.subset(np.array([6, 1]))
        joined = concatenate([part, data.subset(np.arange(2))])
        assert type(joined.images) is type(data.images) and len(joined) == 4
        np.testing.assert_array_equal(joined.images.rows(np.arange(4)), pixels[[6, 1, 0, 1]])
        np.testing.assert_array_equal(joined.identities, memory.identities[[6, 1, 0, 1]])
        assert list(joined.filenames) == list(memory.filenames[[6, 1, 0, 1]])
    with pytest.raises(TypeError, match="different kinds: ArrayImages, RecordImages"):
        concatenate([memory, streamed])


def test_a_split_takes_a_plain_array_and_keeps_its_old_name(small):
    pixels = np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3)
    split = SplitArrays(pixels, np.array([1, 2]), np.array([0, 0]), np.array(["a", "b"]))
    assert SplitArrays is Split and isinstance(split.images, ArrayImages) and len(split) == 2
    assert np.asarray(split.images) is pixels  # no copy
    assert as_images(split.images) is split.images
    with pytest.raises(TypeError, match=r"np.asarray\(images\) gives the pixel array"):
        split.images[0, 0]


def test_images_in_memory_serve_any_number_of_pipelines(small):
    """The pixels' tensor is made once, eagerly, even when first asked for while a
    tf.data function is being traced."""
    images = Dataset(small).split("train", (8, 6), input="memory").images
    for _ in range(2):
        rows = tf.data.Dataset.range(8).batch(4).map(lambda index: (index, ()))
        batches = with_images(rows, images, lambda pixels, index, extras: pixels)
        np.testing.assert_array_equal(np.concatenate(list(batches.as_numpy_iterator())),
                                      np.asarray(images))
    np.testing.assert_array_equal(images.gather(tf.constant([2])).numpy(),
                                  np.asarray(images)[[2]])


@pytest.mark.parametrize("mode", ["memory", "stream", "auto"])
@pytest.mark.parametrize("folds", [1, 2])
def test_a_run_reads_its_manifest_once(tiny_dataset, manifest_reads, mode, folds):
    from tfreid.training.config import RunConfig
    from tfreid.training.run_data import load_reid_data

    config = RunConfig.for_method("siamese", dataset=str(tiny_dataset), image_size=40,
                                  input=mode, folds=folds, sampling="pairs")
    data = load_reid_data(config)
    assert [p.name for p in manifest_reads] == ["manifest.json"]
    kind = RecordImages if mode == "stream" else ArrayImages
    assert all(isinstance(data[s].images, kind) for s in ("train", "query", "gallery"))
    assert (data["revisited"] is None) == (folds > 1)


def test_the_default_dataset_is_opened_with_one_read(tmp_path, monkeypatch, manifest_reads):
    import tfreid.data.default as default
    from tfreid.data.surfaces import SurfaceConfig

    monkeypatch.setattr(default, "SurfaceConfig", lambda: SurfaceConfig(
        num_identities=6, views_per_identity=3, image_size=32))
    made = Dataset.default(root=tmp_path, verbose=False)
    assert made.name == "surfaces" and made.split_names == ("train", "query", "gallery")
    assert len(manifest_reads) == 1  # after writing it
    again = Dataset.default(root=tmp_path)
    assert again.manifest == made.manifest and len(manifest_reads) == 2

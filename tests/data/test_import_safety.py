"""Imports report what they skip or change, keep every file name, and never write an unusable
dataset (issue 9, cases 4, 5, 9, 11, 16)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.helpers import ROOT, the_error_line
from tfreid.cli.make_tfrecords import main as make_tfrecords
from tfreid.data import load_split, read_manifest
from tfreid.training import RunConfig, train


def save(path, value, size=(16, 8), format=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), value, np.uint8)).save(path, format=format)


NAMES = ["é.png", "日本語.png", "space name.png", os.fsdecode(b"bad-\xff.png")]


@pytest.mark.slow
def test_any_file_name_round_trips_and_trains(tmp_path, capsys):
    for identity in range(8):
        for view, name in enumerate(NAMES):
            save(tmp_path / "src" / f"id{identity}" / name, 30 * identity + view, (48, 48))
    assert make_tfrecords(["folder", str(tmp_path / "src"), "--out", str(tmp_path / "ds")]) == 0
    stored = load_split(tmp_path / "ds", "train", (48, 48)).filenames
    assert sorted(set(stored.tolist())) == sorted(NAMES)
    assert b"bad-\xff.png" in {os.fsencode(name) for name in stored}
    config = RunConfig.for_method("siamese", dataset=str(tmp_path / "ds"), epochs=1,
                                  sampling="pairs", steps_per_epoch=1, batch_size=4, image_size=40,
                                  embedding_dim=8, validation_fraction=0.4,
                                  logdir=str(tmp_path / "run"), save_export=False)
    assert train(config, verbose=0)["test"]["num_queries"] == 2


def test_market_skips_are_counted_and_an_empty_split_fails(tmp_path, capsys):
    root = tmp_path / "market"
    save(root / "bounding_box_train" / "0002_c1s1_000451_03.jpg", 1)
    save(root / "bounding_box_train" / "0002_c2s1_000551_01.jpg", 2)
    save(root / "bounding_box_test" / "0005_c2s1_001151_01.jpg", 5)
    save(root / "query" / "0005_c1s1_001051_00.png", 4)  # a .png: not a Market name
    save(root / "query" / "IMG_2031.jpg", 4)
    assert make_tfrecords(["market1501", str(root), "--out", str(tmp_path / "ds")]) == 2
    line = the_error_line(capsys.readouterr().err)
    assert "leaves split(s) query empty" in line
    assert "skipped, name not of the form 0002_c1s1_000451_03.jpg: 2 files" in line
    assert not (tmp_path / "ds").exists()
    save(root / "query" / "0005_c1s1_001051_00.jpg", 4)
    assert make_tfrecords(["market1501", str(root), "--out", str(tmp_path / "ds")]) == 0
    err = capsys.readouterr().err
    assert "note: skipped, name not of the form 0002_c1s1_000451_03.jpg: 2 files" in err
    assert read_manifest(tmp_path / "ds")["splits"]["query"]["num_images"] == 1


def test_shards_hold_what_the_manifest_says(tmp_path):
    assert make_tfrecords(["surfaces", "--num-identities", "5", "--views", "3",
                           "--images-per-shard", "4", "--out", str(tmp_path / "ds")]) == 0
    manifest = read_manifest(tmp_path / "ds")
    for split, info in manifest["splits"].items():
        assert len(load_split(tmp_path / "ds", split, (16, 16))) == info["num_images"]
        assert sum(info["file_records"]) == info["num_images"]


def test_tiff_under_a_png_name_is_re_encoded_and_reported(tmp_path, capsys):
    for identity in range(4):
        for view in range(2):
            save(tmp_path / "src" / f"id{identity}" / f"{view}.png", 30 * identity + view)
    save(tmp_path / "src" / "id2" / "1.png", 99, format="TIFF")
    assert make_tfrecords(["folder", str(tmp_path / "src"), "--out", str(tmp_path / "ds")]) == 0
    err = capsys.readouterr().err
    assert "note: re-encoded as PNG (TIFF RGB is not decodable by TensorFlow): 1 file" in err
    every = [load_split(tmp_path / "ds", s, (16, 8)) for s in ("train", "query", "gallery")]
    pixels = {int(np.asarray(a.images)[i, 0, 0, 0]) for a in every for i in range(len(a))}
    assert 99 in pixels


def test_decompression_bomb_is_one_line(tmp_path, capsys, monkeypatch):
    for identity in range(4):
        for view in range(2):
            save(tmp_path / "src" / f"id{identity}" / f"{view}.png", 1, size=(64, 64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert make_tfrecords(["folder", str(tmp_path / "src"), "--out", str(tmp_path / "ds")]) == 2
    assert "is too large to decode safely" in the_error_line(capsys.readouterr().err)


GENERATE = """
import sys
sys.path.insert(0, {root!r})
import tfreid.data.default as default
from tfreid.data.surfaces import SurfaceConfig
default.SurfaceConfig = lambda: SurfaceConfig(num_identities=6, views_per_identity=3)
print(default.ensure_default_dataset({data!r}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("runs", [2])
def test_two_first_runs_at_once_generate_the_default_dataset_once(tmp_path, runs):
    code = GENERATE.format(root=str(ROOT), data=str(tmp_path / "tfrecords"))
    processes = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(runs)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * runs, outputs
    assert sum("generating the default surface dataset" in out for out, _ in outputs) == 1
    assert read_manifest(tmp_path / "tfrecords" / "surfaces")["num_images"] == 18

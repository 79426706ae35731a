import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import dataset_with_lonely_identity
from tfreid.backend import tf
from tfreid.cli.train_siamese import main
from tfreid.data import load_split, read_manifest, write_dataset
from tfreid.data.importers import read_record
from tfreid.errors import ConfigError, TrainingError
from tfreid.training import SiameseConfig, train_siamese
from tfreid.training.run import chance_scores, check_finite

ROOT = Path(__file__).resolve().parents[1]


def tiny_config(tmp_path, dataset, **overrides):
    settings = dict(dataset=str(dataset), epochs=2, steps_per_epoch=2, batch_size=8,
                    image_size=40, embedding_dim=16, validation_steps=1, run_name="t",
                    logdir=str(tmp_path / "logs"), export=str(tmp_path / "export"))
    return SiameseConfig(**{**settings, **overrides})


@pytest.mark.parametrize("loss", ["contrastive", "binary", "combined"])
def test_training_runs_end_to_end(tmp_path, tiny_dataset, loss):
    results = train_siamese(tiny_config(tmp_path, tiny_dataset, loss=loss), verbose=0)
    history = results["history"]
    for key in ("loss", "val_loss", "val_rank1", "val_mAP", "val_mAC", "val_CF"):
        assert len(history[key]) == 2, key
    assert 0 <= results["test"]["rank1"] <= 1 and results["test"]["num_queries"] == 4
    saved = json.loads((tmp_path / "logs" / "results.json").read_text())
    assert saved["test"]["mAP"] == pytest.approx(results["test"]["mAP"])
    serve = tf.saved_model.load(str(tmp_path / "export")).signatures["serving_default"]
    images = load_split(tiny_dataset, "query", (96, 96)).images
    assert serve(images=tf.constant(images))["embeddings"].shape == (len(images), 16)


def test_tensorboard_logs_scalars_and_pair_images(tmp_path, tiny_dataset):
    train_siamese(tiny_config(tmp_path, tiny_dataset), verbose=0)
    tags = set()
    for event_file in (tmp_path / "logs").rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags.update(value.tag for value in event.summary.value)
    assert {"epoch_loss", "epoch_pair_accuracy", "epoch_rank1", "epoch_mAP", "epoch_mAC",
            "epoch_CF", "sample_pairs/same", "sample_pairs/different",
            "feature_correlation"} <= tags


def test_correlation_image():
    from tfreid.callbacks.correlation_monitor import correlation_image

    x = np.random.default_rng(0).normal(size=(400, 3))
    image = correlation_image(np.concatenate([x, -x[:, :1]], axis=1), min_side=8)
    assert image.shape == (8, 8, 1) and image.dtype == np.uint8
    assert image[0, 6, 0] == 255 and image[0, 2, 0] < 40  # feature 3 = -feature 0


def test_chance_level_rank1_is_analytic():
    from tfreid.data.reader import SplitArrays

    def split(ids, cams):
        n = len(ids)
        return SplitArrays(np.zeros((n, 1, 1, 3), np.uint8), np.array(ids), np.array(cams),
                           np.array(["x"] * n))

    # query id 1 cam 0: gallery ids [1, 1, 2, 3] cams [0, 1, 1, 1] -> the (1, 0) entry is
    # ignored, 1 match among 3 valid entries -> 1/3. query id 2: 1 match among 4 -> 1/4.
    query, gallery = split([1, 2], [0, 0]), split([1, 1, 2, 3], [0, 1, 1, 1])
    assert chance_scores(query, gallery, seed=0)["rank1"] == pytest.approx((1 / 3 + 1 / 4) / 2)


def test_nan_loss_is_a_training_error():
    with pytest.raises(TrainingError, match="loss became nan at epoch 3"):
        check_finite({"loss": [0.5, 0.4, float("nan")], "val_mAP": [0.1, 0.2]})


def test_nan_loss_stops_training_without_export(tmp_path, tiny_dataset):
    config = tiny_config(tmp_path, tiny_dataset, lr=1e38, epochs=3, steps_per_epoch=4)
    with pytest.raises(TrainingError, match="became nan"):
        train_siamese(config, verbose=0)
    assert not (tmp_path / "export").exists()


def test_image_size_flag_takes_square_or_height_by_width(tmp_path, tiny_dataset):
    from tfreid.cli.train_siamese import config_from_args

    assert config_from_args(["--image-size", "48"]).image_shape() == (48, 48)
    config = config_from_args(["--image-size", "72x40", "--backbone", "siamese_base"])
    assert config.image_shape() == (72, 40)
    settings = dict(backbone="siamese_base", image_size=(72, 40), epochs=1)
    results = train_siamese(tiny_config(tmp_path, tiny_dataset, **settings), verbose=0)
    serve = tf.saved_model.load(results["export"])
    metadata = json.loads((Path(results["export"]) / "tfreid.json").read_text())
    assert metadata["image_size"] == [72, 40]
    assert serve.signatures["serving_default"](images=tf.zeros([1, 9, 9, 3], tf.uint8))[
        "embeddings"].shape == (1, 16)


def test_bad_config_values():
    with pytest.raises(ConfigError, match="unknown loss 'triplet'"):
        SiameseConfig(loss="triplet").check()
    with pytest.raises(ConfigError, match="even"):
        SiameseConfig(batch_size=7).check()
    with pytest.raises(ConfigError, match="at least 36 px"):
        SiameseConfig(image_size=20).check()


def run_cli(capsys, *argv):
    status = main(list(argv))
    err = capsys.readouterr().err.strip()
    return status, err


def test_cli_missing_dataset(tmp_path, capsys):
    status, err = run_cli(capsys, "--dataset", str(tmp_path / "nope"))
    assert status == 2 and err == f"error: dataset directory {tmp_path / 'nope'} does not exist"


def test_cli_corrupt_tfrecord(tmp_path, tiny_dataset, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_dataset, copy)
    shard = copy / read_manifest(copy)["splits"]["train"]["files"][0]
    shard.write_bytes(shard.read_bytes()[:5000])
    status, err = run_cli(capsys, "--dataset", str(copy), "--export", str(tmp_path / "e"))
    assert status == 2 and err.startswith("error: corrupt TFRecord shard") and "\n" not in err
    assert not (tmp_path / "e").exists()


def test_cli_identity_with_one_image(tmp_path, tiny_dataset, capsys):
    status, err = run_cli(capsys, "--dataset", str(dataset_with_lonely_identity(tmp_path,
                                                                               tiny_dataset)))
    assert status == 2 and err.startswith("error: identity 999 has only 1 image in split 'train'")


def test_cli_empty_split(tmp_path, tiny_dataset, capsys):
    arrays_dir = tmp_path / "img"
    arrays_dir.mkdir()
    from PIL import Image

    pixels = load_split(tiny_dataset, "train", (32, 32)).images[0]
    Image.fromarray(pixels).save(arrays_dir / "a.png")
    records = [read_record(arrays_dir / "a.png", i // 2, i % 2) for i in range(8)]
    write_dataset(tmp_path / "ds", {"train": records, "query": [], "gallery": records[:2]},
                  name="ds", source="test")
    config = ["--dataset", str(tmp_path / "ds"), "--epochs", "1", "--steps-per-epoch", "1"]
    status, err = run_cli(capsys, *config)
    assert status == 2 and "split 'query'" in err and "is empty" in err


def test_script_rejects_unknown_loss():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_siamese.py"),
                             "--loss", "hinge"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "invalid choice: 'hinge'" in result.stderr.strip().splitlines()[-1]

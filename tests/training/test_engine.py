"""The one training engine: every method learns, records what it did, and fails in one line."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import ROOT, dataset_with_lonely_identity, projector_data
from tfreid.backend import tf
from tfreid.cli.train_siamese import main
from tfreid.data import load_split, read_manifest, write_dataset
from tfreid.data.importers.base import read_record
from tfreid.errors import ConfigError, TrainingError
from tfreid.evaluation import chance_scores
from tfreid.training import RunConfig, load_run, train
from tfreid.training.fitting import check_finite

LEARNING = {  # method -> its options for a run of seconds on the learnable dataset
    "siamese pairs": ("siamese", {"sampling": "pairs", "steps_per_epoch": 20, "lr": 1e-3}),
    "siamese pk": ("siamese", {"sampling": "pk", "miner": "hard", "steps_per_epoch": 20,
                               "lr": 1e-3}),
    # streamed from the shards: the in-memory path gives the same batches (tests/data/
    # test_record_images.py) and the same training (tests/training/test_streamed_input.py)
    "triplet streamed": ("triplet", {"num_triplets": 640, "input": "stream"}),
    "batch": ("batch", {"loss": "multi_similarity", "steps_per_epoch": 20}),
    "augmented": ("augmented", {"augment": "none", "steps_per_epoch": 20}),
}


def tiny_config(tmp_path, dataset, method="siamese", **overrides):
    settings = dict(dataset=str(dataset), epochs=2, steps_per_epoch=2, batch_size=8,
                    image_size=40, embedding_dim=16, validation_steps=1, run_name="t",
                    logdir=str(tmp_path / "logs"), export=str(tmp_path / "export"),
                    save_export=False)
    if method == "siamese":
        settings["sampling"] = "pairs"
    return RunConfig.for_method(method, **{**settings, **overrides})


@pytest.mark.slow
@pytest.mark.parametrize("case", LEARNING)
def test_every_method_learns_well_above_chance(tmp_path, learnable_dataset, case):
    method, options = LEARNING[case]
    config = RunConfig.for_method(method, dataset=str(learnable_dataset), epochs=6, patience=6,
                                  image_size=48, embedding_dim=32, batch_size=32,
                                  logdir=str(tmp_path / "run"), save_export=False, **options)
    results = train(config, verbose=0)
    chance = results["chance"]
    assert results["config"]["input"] == options.get("input", "auto")
    assert results["test"]["num_queries"] == 12 and chance["rank1"] == pytest.approx(3 / 36)
    assert results["test"]["rank1"] > 2.5 * chance["rank1"]
    assert results["test"]["mAP"] > 1.5 * chance["mAP"]


@pytest.mark.slow
def test_results_record_the_method_the_settings_and_the_best_epoch(tmp_path, tiny_dataset):
    config = tiny_config(tmp_path, tiny_dataset, "batch", save_export=True, loss="npair",
                         miner="hard",
                         steps_per_epoch=3, epochs=3, validation_fraction=0.3)
    results = train(config, verbose=0)
    saved = json.loads((tmp_path / "logs" / "results.json").read_text())
    assert saved["method"] == "batch" and saved["config"]["options"]["loss"] == "npair"
    val_map = saved["history"]["val_mAP"]
    assert saved["best_epoch"] == int(np.argmax(val_map)) + 1
    assert saved["best"][0]["value"] == pytest.approx(max(val_map))
    train_ids = set(load_split(tiny_dataset, "train", (40, 40)).identities.tolist())
    assert len(saved["validation_identities"]) == 3  # 30 % of the 10 training identities
    assert set(saved["validation_identities"]) < train_ids
    assert saved["train_identities"] == 7 and isinstance(saved["test"]["CF"], int)
    encoder, loaded, _ = load_run(tmp_path / "logs")
    assert loaded == config and encoder.output_shape == (None, 16)
    assert results["export"] == str(tmp_path / "export")


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["contrastive", "binary", "combined"])
def test_siamese_losses_end_to_end(tmp_path, tiny_dataset, loss):
    results = train(tiny_config(tmp_path, tiny_dataset, loss=loss, save_export=True), verbose=0)
    history = results["history"]
    for key in ("loss", "val_loss", "val_rank1", "val_mAP", "val_mAC", "val_CF"):
        assert len(history[key]) == 2, key
    assert results["test"]["num_queries"] == 4
    serve = tf.saved_model.load(str(tmp_path / "export")).signatures["serving_default"]
    images = load_split(tiny_dataset, "query", (96, 96)).images
    assert serve(images=tf.constant(images))["embeddings"].shape == (len(images), 16)


@pytest.mark.slow
def test_the_summary_prints_best_epoch_validation_identities_and_counts(tmp_path, tiny_dataset,
                                                                        capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--dataset", str(tiny_dataset), "--epochs", "2", "--steps-per-epoch", "2",
                 "--batch-size", "8", "--image-size", "40", "--embedding-dim", "8",
                 "--run-name", "s"]) == 0
    out = capsys.readouterr().out
    results = json.loads((tmp_path / "logs" / "s" / "results.json").read_text())
    assert f"best epoch {results['best_epoch']} (validation mAP" in out
    assert "2 of 10 training identities held out for validation (--val-fraction 0.2)" in out
    cf = [line for line in out.splitlines() if line.startswith("epoch 1/2")][0]
    assert f"CF {int(results['history']['val_CF'][0])} (" in cf  # a count, not 8.0000e+00


@pytest.mark.slow
def test_tensorboard_logs_scalars_and_pair_images(tmp_path, tiny_dataset):
    train(tiny_config(tmp_path, tiny_dataset, projector_every=2), verbose=0)
    tags = set()
    for event_file in (tmp_path / "logs").rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags.update(value.tag for value in event.summary.value)
    assert {"epoch_loss", "epoch_pair_accuracy", "epoch_rank1", "epoch_mAP", "epoch_mAC",
            "epoch_CF", "sample_pairs/same", "sample_pairs/different",
            "feature_correlation", "ranked_results", "test/rank1", "test/mAP", "test/map_at_r",
            "_hparams_/session_start_info"} <= tags
    held_out = sum(len(load_split(tiny_dataset, split, (8, 8)).identities)
                   for split in ("query", "gallery"))
    tensor, metadata = projector_data(tmp_path / "logs", "held_out")
    assert tensor.shape == (held_out, 16)
    assert metadata.splitlines()[0] == "identity\tsplit\tcamera"
    assert len(metadata.splitlines()) == held_out + 1
    validation, _ = projector_data(tmp_path / "logs", "epoch-2")  # --projector-every 2
    assert validation.shape[1] == 16 and not (tmp_path / "logs" / "validation" / "projector" /
                                              "epoch-1.tsv").exists()


def test_correlation_image():
    from matplotlib import colormaps

    from tfreid.callbacks.correlation_monitor import correlation_image

    x = np.random.default_rng(0).normal(size=(400, 3))
    image = correlation_image(np.concatenate([x, -x[:, :1]], axis=1), min_side=8)
    assert image.shape == (8, 8 + 8 + 16 + 34, 3) and image.dtype == np.uint8
    colour = (np.array(colormaps["viridis"]([1.0, 0.0]))[:, :3] * 255).round()
    np.testing.assert_array_equal(image[0, 6], colour[0])  # feature 3 = -feature 0: |corr| 1
    assert np.abs(image[0, 2].astype(int) - colour[1]).max() < 60  # near 0
    np.testing.assert_array_equal(image[0, 20], colour[0])  # the bar: 1 at the top
    np.testing.assert_array_equal(image[-1, 20], colour[1])  # ... 0 at the bottom
    assert (image[:, 8:16] == 255).all() and (image[:, 34:] < 128).any()  # gap, labels


def test_chance_level_rank1_is_analytic():
    # query id 1 cam 0: gallery ids [1, 1, 2, 3] cams [0, 1, 1, 1] -> the (1, 0) entry is
    # ignored, 1 match among 3 valid entries -> 1/3. query id 2: 1 match among 4 -> 1/4.
    images = np.zeros((4, 1, 1, 3), np.uint8)
    query, gallery = (images[:2], [1, 2], [0, 0]), (images, [1, 1, 2, 3], [0, 1, 1, 1])
    assert chance_scores(query, gallery, seed=0)["rank1"] == pytest.approx((1 / 3 + 1 / 4) / 2)


def test_nan_loss_is_a_training_error():
    with pytest.raises(TrainingError, match="loss became nan at epoch 3"):
        check_finite({"loss": [0.5, 0.4, float("nan")], "val_mAP": [0.1, 0.2]})


def test_nan_loss_stops_training_without_export(tmp_path, tiny_dataset):
    config = tiny_config(tmp_path, tiny_dataset, lr=1e38, epochs=3, steps_per_epoch=4)
    with pytest.raises(TrainingError, match="became nan"):
        train(config, verbose=0)
    assert not (tmp_path / "export").exists()


@pytest.mark.slow
def test_image_size_flag_takes_square_or_height_by_width(tmp_path, tiny_dataset):
    from tfreid.cli.train_siamese import config_from_args

    assert config_from_args(["--image-size", "48"]).image_shape() == (48, 48)
    config = config_from_args(["--image-size", "72x40", "--backbone", "siamese_base"])
    assert config.image_shape() == (72, 40)
    settings = dict(backbone="siamese_base", image_size=(72, 40), epochs=1, save_export=True)
    results = train(tiny_config(tmp_path, tiny_dataset, **settings), verbose=0)
    serve = tf.saved_model.load(results["export"])
    metadata = json.loads((tmp_path / "export" / "tfreid.json").read_text())
    assert metadata["image_size"] == [72, 40]
    assert serve.signatures["serving_default"](images=tf.zeros([1, 9, 9, 3], tf.uint8))[
        "embeddings"].shape == (1, 16)


@pytest.mark.parametrize("method, settings, message", [
    ("siamese", {"loss": "triplet"}, "siamese option loss must be one of"),
    ("siamese", {"batch_size": 7, "sampling": "pairs"}, "even"),
    ("siamese", {"batch_size": 7}, "P x K batches need batch size >= 2 K"),
    ("siamese", {"image_size": 20}, "at least 36 px"),
    ("siamese", {"sampling": "pk", "loss": "binary"}, "needs the merge head"),
    ("batch", {"loss": "sphereface"}, "batch option loss must be one of"),
    ("batch", {"loss": "proxy_nca", "members": 2}, "single encoders"),
    ("batch", {"margin_of_error": 1}, "has no option 'margin_of_error'"),
    ("augmented", {"augment": "mixup"}, "augment must be one of"),
    ("triplet", {"side_by_side": True, "members": 2}, "cannot train ensemble members side"),
    ("nonsense", {}, "unknown method 'nonsense'"),
])
def test_bad_settings_are_config_errors(method, settings, message):
    from tfreid.training.engine import make_method

    with pytest.raises(ConfigError, match=message):
        make_method(RunConfig(method=method).replace(**settings))


def run_cli(capsys, *argv):
    status = main(list(argv))
    err = capsys.readouterr().err.strip()
    return status, err


def test_cli_missing_dataset(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, err = run_cli(capsys, "--dataset", str(tmp_path / "nope"))
    assert status == 2 and err == f"error: dataset directory {tmp_path / 'nope'} does not exist"
    assert not (tmp_path / "logs").exists() or not any((tmp_path / "logs").iterdir())


def test_cli_corrupt_tfrecord(tmp_path, tiny_dataset, capsys, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(tiny_dataset, copy)
    shard = copy / read_manifest(copy)["splits"]["train"]["files"][0]
    shard.write_bytes(shard.read_bytes()[:5000])
    status, err = run_cli(capsys, "--dataset", str(copy), "--export", str(tmp_path / "e"))
    assert status == 2 and err.startswith("error: corrupt TFRecord shard") and "\n" not in err
    assert not (tmp_path / "e").exists()


def test_cli_identity_with_one_image(tmp_path, tiny_dataset, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, err = run_cli(capsys, "--dataset", str(dataset_with_lonely_identity(tmp_path,
                                                                               tiny_dataset)))
    assert status == 2 and err.startswith("error: identity 999 has only 1 image in split 'train'")


def test_cli_empty_split(tmp_path, tiny_dataset, capsys, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    (tmp_path / "img").mkdir()
    Image.fromarray(load_split(tiny_dataset, "train", (32, 32)).images.rows([0])[0]).save(
        tmp_path / "img" / "a.png")
    records = [read_record(tmp_path / "img" / "a.png", i // 2, i % 2) for i in range(8)]
    write_dataset(tmp_path / "ds", {"train": records, "query": [], "gallery": records[:2]},
                  name="ds", source="test")
    status, err = run_cli(capsys, "--dataset", str(tmp_path / "ds"), "--epochs", "1",
                          "--steps-per-epoch", "1")
    assert status == 2 and "split 'query'" in err and "is empty" in err


def test_script_rejects_unknown_loss():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_siamese.py"),
                             "--loss", "hinge"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "invalid choice: 'hinge'" in result.stderr.strip().splitlines()[-1]


def test_the_optimizer_setting_gives_adam_or_sgd_with_momentum():
    sgd = RunConfig(optimizer="sgd", lr=0.02).make_optimizer()
    assert type(sgd).__name__ == "SGD" and sgd.get_config()["momentum"] == 0.9
    assert sgd.get_config()["learning_rate"] == pytest.approx(0.02)
    assert type(RunConfig().make_optimizer()).__name__ == "Adam"
    with pytest.raises(ConfigError, match="unknown optimizer 'rmsprop'"):
        RunConfig(optimizer="rmsprop").check()

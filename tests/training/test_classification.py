"""The identity-classification method (bag of tricks): its heads, its recipe and the method
trained through the engine (its losses: tests/losses/test_identity_center.py)."""

import json
import math
import signal
import time

import numpy as np
import pytest

from tests.helpers import script, start_script, wait_for
from tfreid.backend import keras, tf
from tfreid.data.dataset import Dataset
from tfreid.distribute.precision import precision_policy
from tfreid.evaluation import held_out_scores
from tfreid.losses.center import CenterTrainer
from tfreid.models.neck import bnneck
from tfreid.training import RunConfig, load_run, train
from tfreid.training.methods.classification import ClassificationMethod


def small_encoder(neck: bool = True, dim: int = 4) -> keras.Model:
    inputs = keras.Input((3,), name="x")
    features = keras.layers.Dense(dim, name="embedding")(inputs)
    return keras.Model(inputs, bnneck()(features) if neck else features, name="small")


def method(**options):
    return ClassificationMethod(RunConfig.for_method("classification", batch_size=8,
                                                     embedding_dim=4, **options))


def test_the_heads_train_the_metric_loss_before_the_neck_and_the_classifier_after():
    model, losses = method(center_weight=0.001).trainer(small_encoder(), num_classes=3)
    assert [loss.name for loss in losses] == ["metric_loss", "identity_loss", "center_loss"]
    assert model.output_names == ["metric", "identity", "center"]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    before, after, centered = model(x, training=True)
    np.testing.assert_allclose(before, centered)
    dense = model.encoder.get_layer("embedding")(x)
    np.testing.assert_allclose(before, dense, rtol=1e-6)
    assert np.allclose(after.numpy().mean(0), 0, atol=1e-5)  # batch-normalised, no shift
    names = {w.name for w in model.weights}
    assert any("classifier" in n for n in names) and any("centers" in n for n in names)


def test_without_a_neck_both_losses_see_the_encoder_output():
    model, losses = method(metric_loss="none").trainer(small_encoder(neck=False), 3)
    assert [loss.name for loss in losses] == ["identity_loss"]
    assert not isinstance(model, CenterTrainer)


def test_the_soft_margin_reaches_the_triplet_loss_and_is_refused_elsewhere():
    from tfreid.errors import ConfigError

    soft = method(soft_margin=True).metric_loss()
    assert soft.soft and not method().metric_loss().soft
    for wrong in ({"metric_loss": "multi_similarity"}, {"margin": 0.5}):
        with pytest.raises(ConfigError, match="soft_margin replaces the margin"):
            method(soft_margin=True, **wrong).check()


def test_recipe_bot_sets_bots_settings_where_the_user_names_none():
    assert method(recipe="bot").center_weight() == 0.0005
    assert method().center_weight() == 0.0
    bot = RunConfig.for_method("classification", recipe="bot")
    assert (bot.backbone, bot.setting("last_stride"), bot.setting("neck"), bot.image_shape(),
            bot.train_augment) == ("resnet50", 1, "bnneck", (256, 128),
                                   ["flip", "pad_crop", "erase"])
    mine = RunConfig.for_method("classification", recipe="bot", image_size=(128, 64),
                                train_augment=[])
    assert (mine.image_shape(), mine.train_augment, mine.backbone) == ((128, 64), [],
                                                                       "resnet50")
    method(recipe="bot").check()


def test_the_command_line_recipe_gives_its_defaults_and_explicit_options_win():
    from tfreid.cli.train import config_from_args

    config = config_from_args(["--method", "classification", "--recipe", "bot",
                               "--image-size", "128x64"])
    assert (config.backbone, config.setting("neck"), config.setting("last_stride"),
            config.image_shape(), config.train_augment, config.options["recipe"]) == (
        "resnet50", "bnneck", 1, (128, 64), ["flip", "pad_crop", "erase"], "bot")
    plain = config_from_args(["--method", "classification"])
    assert (plain.backbone, plain.train_augment) == ("table1", [])
    config = RunConfig.for_method("classification")
    assert (config.lr, config.warmup_epochs, config.lr_milestones, config.epochs) == \
        (3.5e-4, 10, [40, 70], 120)


def test_mixed_precision_heads_are_float32():
    with precision_policy("mixed_float16"):
        model, losses = method().trainer(small_encoder(), 3)
        outputs = model(np.ones((4, 3), np.float32), training=True)
        assert all(o.dtype == tf.float32 for o in outputs)
        values = [loss(np.array([0, 0, 1, 1]), o) for loss, o in zip(losses, outputs,
                                                                  strict=True)]
    assert all(np.isfinite(float(v)) for v in values)


def tiny(tmp_path, dataset, **overrides):
    settings = dict(dataset=str(dataset), epochs=2, batch_size=16, image_size=40,
                    embedding_dim=12, run_name="t", logdir=str(tmp_path / "logs"),
                    export=str(tmp_path / "export"), save_export=False, steps_per_epoch=3,
                    validation_steps=1, warmup_epochs=0, lr_schedule="constant",
                    lr_milestones=[], lr=1e-3, patience=6, center_weight=0.0005)
    return RunConfig.for_method("classification", **{**settings, **overrides})


@pytest.mark.slow
def test_classification_learns_above_chance(tmp_path, learnable_dataset):
    config = tiny(tmp_path, learnable_dataset, epochs=6, image_size=48, embedding_dim=32,
                  batch_size=32, steps_per_epoch=20)
    results = train(config, verbose=0)
    history = results["history"]
    assert {"metric_loss", "identity_loss", "center_loss"} <= set(history)
    assert history["identity_loss"][-1] < history["identity_loss"][0]
    assert results["test"]["rank1"] > 2.5 * results["chance"]["rank1"]


@pytest.mark.slow
@pytest.mark.parametrize("source", ["memory", "stream"])
def test_the_export_holds_the_encoder_only(tmp_path, tiny_dataset, source):
    results = train(tiny(tmp_path, tiny_dataset, save_export=True, input=source), verbose=0)
    assert results["config"]["input"] == source
    assert all(np.isfinite(results["history"]["loss"]))
    loaded = tf.saved_model.load(str(tmp_path / "export"))
    stored = [(name, shape) for name, shape in tf.train.list_variables(
        str(tmp_path / "export" / "variables" / "variables")) if "VARIABLE_VALUE" in name]
    assert stored and not any("classifier" in n or "centers" in n for n, _ in stored)
    encoder, _, _ = load_run(tmp_path / "logs")
    assert sum(int(np.prod(shape)) for _, shape in stored) == sum(
        int(np.prod(w.shape)) for w in encoder.weights)  # the encoder's weights, no more
    serve = loaded.signatures["serving_default"]
    assert serve(images=tf.zeros([2, 40, 40, 3], tf.uint8))["embeddings"].shape == (2, 12)


def classifier_of(run_folder):
    """The classifier and centers in the run's best-epoch checkpoint."""
    path = str(run_folder / "checkpoints" / "best" / "weights")
    return {name: tf.train.load_variable(path, name) for name, _ in tf.train.list_variables(path)
            if name.startswith("state_layers/")}


@pytest.mark.slow
@pytest.mark.numeric
def test_a_killed_run_resumes_with_its_classifier_and_centers(tiny_dataset, tmp_path):
    command = ["--method", "classification", "--dataset", str(tiny_dataset), "--epochs", "4",
               "--steps-per-epoch", "25", "--batch-size", "8", "--image-size", "40",
               "--embedding-dim", "8", "--warmup-epochs", "0", "--validation-steps", "1",
               "--center-weight", "0.0005", "--no-save-export", "--run-name", "run"]
    (tmp_path / "whole").mkdir()
    (tmp_path / "killed").mkdir()
    assert script("train", *command, cwd=tmp_path / "whole").returncode == 0
    process = start_script("train", *command, cwd=tmp_path / "killed")
    wait_for(tmp_path / "killed" / "logs" / "run" / "resume" / "state-00001.json", process)
    time.sleep(0.1)  # into the third epoch
    process.send_signal(signal.SIGKILL)
    process.communicate()
    resumed = script("train", *command, cwd=tmp_path / "killed")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming run run" in resumed.stdout
    expected = json.loads((tmp_path / "whole" / "logs" / "run" / "results.json").read_text())
    got = json.loads((tmp_path / "killed" / "logs" / "run" / "results.json").read_text())
    assert got["history"] == expected["history"]  # the classifier came back, bit for bit
    whole, killed = (classifier_of(tmp_path / folder / "logs" / "run")
                     for folder in ("whole", "killed"))
    assert len(whole) == 2 and whole.keys() == killed.keys()
    for name in whole:
        np.testing.assert_array_equal(killed[name], whole[name])


@pytest.mark.slow
@pytest.mark.numeric
def test_two_mirrored_replicas_train_as_one_device(learnable_dataset, tmp_path):
    """The identity loss per sample and the center step averaged over replicas: 2 replicas
    of 8 rows train as one device on the global 16 (tests/distribute/test_mirrored.py)."""
    from tests.distribute.test_mirrored import (
        SMALL,
        assert_scores_agree,
        loss_tolerance,
        replica_runs,
        weights_tolerance,
    )

    settings = {**SMALL, "method": "classification", "validation_steps": 1,
                "warmup_epochs": 0, "center_weight": 0.0005, "dataset": str(learnable_dataset)}
    runs = [{**settings, "strategy": strategy, "logdir": str(tmp_path / strategy)}
            for strategy in ("none", "mirrored")]
    one, mirrored = replica_runs(runs, 2, tmp_path / "out")
    np.testing.assert_allclose(mirrored["loss"], one["loss"], rtol=0,
                               atol=loss_tolerance(one, "classification"))
    np.testing.assert_allclose(mirrored["weights"], one["weights"], rtol=0,
                               atol=weights_tolerance(one))
    assert_scores_agree(mirrored, one)


REPLICA_STEP = """
import json, os
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np
from tfreid.backend import keras, tf
from tfreid.data.dataset import Dataset
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from tfreid.losses.center import CenterLoss
from tfreid.losses.identity import IdentityLoss

x = np.array([[1, 0], [1, 3], [0, 0], [2, 2]], np.float32)
y = np.array([0, 1, 0, 2])


def step(strategy):
    with strategy.scope():
        center, identity = CenterLoss(3, 2, center_lr=0.5), IdentityLoss(3, 2, seed=3)
        center.centers.assign(np.array([[0, 0], [1, 1], [5, 5]], np.float32))
        fixed = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
            2, kernel_initializer="identity", use_bias=False, trainable=False)], name="fixed")
        heads = keras.Model(fixed.inputs, [keras.layers.Activation("linear", name=n)(
            fixed.output) for n in ("identity", "center")])
        model = center.attach(identity.attach(heads))
        model.compile(keras.optimizers.SGD(10.0), loss=[identity, center])
    logs = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    return {"loss": logs["loss"][0], "centers": center.centers.numpy().tolist(),
            "classifier": identity.classifier.numpy().tolist()}


print(json.dumps({"one": step(tf.distribute.get_strategy()),
                  "two": step(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))}))
"""


@pytest.mark.slow
@pytest.mark.numeric
def test_one_step_on_two_replicas_is_the_global_batchs_step():
    """Each replica's 2 rows: the identity loss (per sample, Keras-reduced over the global 4)
    and its classifier's SGD step, and the centers' step (the replicas' mean), equal one
    device's on the 4 rows; the centers move by hand: c_j -= 0.5 * 2/4 sum (c_j - x_i)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", REPLICA_STEP], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    one, two = result["one"], result["two"]
    expected = [[0.25, 0], [1, 1.5], [4.25, 4.25]]
    np.testing.assert_allclose(one["centers"], expected, rtol=1e-6)
    np.testing.assert_allclose(two["centers"], expected, rtol=1e-6)
    assert two["loss"] == pytest.approx(one["loss"], rel=1e-6)
    np.testing.assert_allclose(two["classifier"], one["classifier"], rtol=1e-5, atol=1e-7)


@pytest.mark.slow
def test_with_a_bnneck_the_run_exports_the_feature_after_it(tmp_path, tiny_dataset):
    config = tiny(tmp_path, tiny_dataset, backbone="mobilenet_v3_small", neck="bnneck",
                  image_size=32, epochs=1, steps_per_epoch=2)
    results = train(config, verbose=0)
    assert np.isfinite(results["history"]["identity_loss"]).all()
    encoder, _, _ = load_run(tmp_path / "logs")
    assert encoder.layers[-1].name == "bnneck" and encoder.output_shape == (None, 12)


@pytest.mark.slow
def test_the_feature_before_the_neck_is_saved_scored_and_exported_when_asked(tmp_path,
                                                                             tiny_dataset):
    config = tiny(tmp_path, tiny_dataset, neck="bnneck", epochs=1, steps_per_epoch=2,
                  save_export=True, exported_feature="before_neck")
    results = train(config, verbose=0)
    encoder, _, _ = load_run(tmp_path / "logs")
    assert encoder.layers[-1].name == "embedding" and encoder.output_shape == (None, 12)
    checkpoint = [name for name, _ in tf.train.list_variables(
        str(tmp_path / "logs" / "checkpoints" / "best" / "weights"))]
    assert any("/gamma/" in name for name in checkpoint)  # the neck trained and resumes
    query, gallery = (Dataset(tiny_dataset).split(s, (40, 40), "memory")
                      for s in ("query", "gallery"))
    images = np.asarray(query.images, np.uint8)
    served = tf.saved_model.load(str(tmp_path / "export")).signatures["serving_default"](
        images=tf.constant(images))["embeddings"].numpy()
    # the saved encoder is the trained one up to the neck: its output is the neck's input
    np.testing.assert_allclose(served, encoder(images, training=False).numpy(), rtol=1e-4,
                               atol=1e-4)
    scores = held_out_scores(encoder, query, gallery)  # the run scored this feature
    assert scores["mAP"] == pytest.approx(results["test"]["mAP"], abs=1e-6)


@pytest.mark.slow
@pytest.mark.numeric
def test_trains_under_mixed_precision(tmp_path, tiny_dataset):
    from tests.training.test_precision import CAPPED_BELOW_AVX512

    if CAPPED_BELOW_AVX512:
        pytest.skip("ONEDNN_MAX_CPU_ISA caps oneDNN below the bfloat16 kernels")
    results = train(tiny(tmp_path, tiny_dataset, precision="mixed_bfloat16", xla=False),
                    verbose=0)
    assert all(math.isfinite(v) for v in results["history"]["loss"])
    assert math.isfinite(results["test"]["mAP"])


def market_layout(root, train_ids: int = 8, test_ids: int = 4) -> None:
    """A small Market-1501 folder: 128 x 64 JPEGs, 4 views (2 cameras) per identity, each
    identity a colour of its own with noise."""
    from PIL import Image

    rng = np.random.default_rng(0)

    def save(folder: str, identity: int, camera: int, view: int) -> None:
        base = rng.integers(30, 220, 3)
        pixels = np.clip(base + rng.normal(0, 20, (128, 64, 3)), 0, 255).astype(np.uint8)
        path = root / folder / f"{identity:04d}_c{camera}s1_{view:06d}_01.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(path)

    for identity in range(1, train_ids + 1):
        for view in range(4):
            save("bounding_box_train", identity, 1 + view % 2, view)
    for identity in range(100, 100 + test_ids):
        save("query", identity, 1, 0)
        for view in range(1, 4):
            save("bounding_box_test", identity, 2, view)


@pytest.mark.slow
def test_the_documented_market1501_command_runs_on_a_market_layout(tmp_path, monkeypatch,
                                                                    capsys):
    """docs/how-to/train.md's BoT command (its flags checked against --help by the docs
    tests) on a Market-layout folder, at 64 x 32 instead of 256 x 128: the size changes the
    time (40 s against 26 here), not what is checked."""
    import json

    from tfreid.cli.main import main

    monkeypatch.chdir(tmp_path)
    market_layout(tmp_path / "Market-1501-v15.09.15")
    assert main(["make-tfrecords", "market1501", "Market-1501-v15.09.15",
                 "--out", "tfrecords/market1501"]) == 0
    documented = ["train", "--method", "classification", "--recipe", "bot", "--backbone",
                  "resnet50", "--dataset", "tfrecords/market1501", "--image-size", "64x32"]
    budget = ["--epochs", "1", "--warmup-epochs", "0", "--steps-per-epoch", "1",
              "--batch-size", "8", "--validation-steps", "1", "--run-name", "bot",
              "--no-save-export"]  # exporting a ResNet-50 is tested elsewhere (10 s)
    assert main([*documented, *budget]) == 0, capsys.readouterr().err
    results = json.loads((tmp_path / "logs" / "bot" / "results.json").read_text())
    config = results["config"]
    assert (config["method"], config["backbone"], config["backbone_options"]["last_stride"],
            config["backbone_options"]["neck"], config["train_augment"]) == (
        "classification", "resnet50", 1, "bnneck", ["flip", "pad_crop", "erase"])
    assert results["test"]["num_queries"] == 4 and np.isfinite(results["test"]["mAP"])

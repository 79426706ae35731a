"""Learning-rate schedules, weight decay and clipping every method can use (issue 21, item 4):
the schedule's values, its serialisation, the optimisers' settings and their command-line
options, the rate in the logs, and a resumed run continuing the schedule exactly."""

import argparse
import math

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.callbacks.learning_rate import LearningRateLogger, current_learning_rate
from tfreid.cli.common import add_run_arguments, config_from_args
from tfreid.cli.parsing import HelpFormatter
from tfreid.errors import ConfigError
from tfreid.training.config import RunConfig
from tfreid.training.fitting import FitPaths, fit_resumable, standard_callbacks
from tfreid.training.legacy_settings import OPTIMISATION_DEFAULTS
from tfreid.training.schedules import WarmupSchedule

BASE = 0.5


def value(schedule, step):
    return float(schedule(tf.constant(step, tf.int64)))


def test_warm_up_rises_linearly_from_the_factor_to_the_base_rate():
    schedule = WarmupSchedule(BASE, warmup_steps=10, warmup_factor=0.1)
    assert value(schedule, 0) == pytest.approx(0.05, rel=1e-6)
    assert value(schedule, 9) == pytest.approx(BASE * (0.1 + 0.9 * 9 / 10), rel=1e-6)
    assert value(schedule, 10) == pytest.approx(BASE, rel=1e-6)
    assert value(schedule, 10_000) == pytest.approx(BASE, rel=1e-6)


def test_multistep_drops_by_gamma_at_each_milestone_step():
    schedule = WarmupSchedule(BASE, 10, 0.1, "multistep", milestones=[20, 30], gamma=0.1)
    assert value(schedule, 19) == pytest.approx(BASE, rel=1e-6)
    assert value(schedule, 20) == pytest.approx(BASE * 0.1, rel=1e-6)
    assert value(schedule, 29) == pytest.approx(BASE * 0.1, rel=1e-6)
    assert value(schedule, 30) == pytest.approx(BASE * 0.01, rel=1e-6)


def test_cosine_falls_from_the_base_rate_after_warm_up_to_the_floor_at_the_end():
    schedule = WarmupSchedule(BASE, 10, 0.1, "cosine", min_lr=0.01, total_steps=30)
    assert value(schedule, 0) == pytest.approx(0.05, rel=1e-6)
    assert value(schedule, 10) == pytest.approx(BASE, rel=1e-6)
    assert value(schedule, 15) == pytest.approx(
        0.01 + (BASE - 0.01) * 0.5 * (1 + math.cos(math.pi / 4)), rel=1e-6)
    assert value(schedule, 20) == pytest.approx((BASE + 0.01) / 2, rel=1e-6)
    assert value(schedule, 30) == pytest.approx(0.01, rel=1e-6)
    assert value(schedule, 50) == pytest.approx(0.01, rel=1e-6)


def test_the_schedule_round_trips_through_keras_serialisation():
    schedule = WarmupSchedule(BASE, 10, 0.01, "multistep", milestones=[20, 30], gamma=0.5)
    again = keras.optimizers.schedules.deserialize(
        keras.optimizers.schedules.serialize(schedule))
    assert type(again) is WarmupSchedule and again.get_config() == schedule.get_config()
    saved = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert saved.get_config() == schedule.get_config()
    optimizer = keras.optimizers.SGD.from_config(keras.optimizers.SGD(schedule).get_config())
    assert current_learning_rate(optimizer) == pytest.approx(value(schedule, 0), rel=1e-6)
    with pytest.raises(ValueError, match="unknown decay 'step'"):
        WarmupSchedule(BASE, decay="step")


def test_the_defaults_build_today_s_optimisers():
    adam = RunConfig().make_optimizer()
    assert type(adam).__name__ == "Adam" and adam.get_config()["learning_rate"] == 1e-3
    assert adam.get_config()["weight_decay"] is None and adam.global_clipnorm is None
    sgd = RunConfig(optimizer="sgd", lr=0.02).make_optimizer()
    assert sgd.get_config()["momentum"] == 0.9 and sgd.get_config()["weight_decay"] is None
    assert RunConfig().learning_rate() == 1e-3  # a plain rate, no schedule


def test_a_schedule_counts_its_epochs_in_steps():
    config = RunConfig(epochs=30, lr=BASE, lr_schedule="multistep", warmup_epochs=2,
                       lr_milestones=[10, 20], lr_gamma=0.5)
    config.check()
    schedule = config.learning_rate(steps_per_epoch=4)
    assert schedule.get_config() == {
        "base_lr": BASE, "warmup_steps": 8, "warmup_factor": 0.1, "decay": "multistep",
        "milestones": [40, 80], "gamma": 0.5, "min_lr": 0.0, "total_steps": 120}
    with pytest.raises(ValueError, match="needs the steps per epoch"):
        config.make_optimizer()


def decayed_after_one_step(optimizer):
    """Dense + BatchNorm variables after one step of zero gradients: only decay moves them."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
                              keras.layers.BatchNormalization()])
    model.layers[0].bias.assign([1.0, 2.0])
    before = {v.name: v.numpy() for v in model.trainable_variables}
    optimizer.apply_gradients([(tf.zeros_like(v), v) for v in model.trainable_variables])
    return {v.name: (before[v.name], v.numpy()) for v in model.trainable_variables}


@pytest.mark.parametrize("name", ["adamw", "sgd"])
def test_weight_decay_shrinks_kernels_but_not_biases_or_batch_norm(name):
    optimizer = RunConfig(optimizer=name, lr=0.1, optimizer_weight_decay=0.5).make_optimizer()
    for variable, (before, after) in decayed_after_one_step(optimizer).items():
        if "kernel" in variable:
            np.testing.assert_allclose(after, before * (1 - 0.1 * 0.5), rtol=1e-6)
        else:  # dense/bias, batch_normalization/gamma and beta
            np.testing.assert_array_equal(after, before)


def test_clipnorm_clips_the_global_norm():
    optimizer = RunConfig(optimizer="sgd", lr=1.0, clipnorm=1.0).make_optimizer()
    assert optimizer.global_clipnorm == 1.0
    variable = tf.Variable([0.0, 0.0])
    optimizer.apply_gradients([(tf.constant([3.0, 4.0]), variable)])
    np.testing.assert_allclose(variable.numpy(), [-0.6, -0.8], rtol=1e-6)


@pytest.mark.parametrize("settings, message", [
    ({"lr_schedule": "step"}, "unknown lr_schedule 'step'"),
    ({"warmup_epochs": 30}, "warmup_epochs must lie in"),
    ({"lr_milestones": [5]}, "with the multistep lr_schedule"),
    ({"lr_schedule": "multistep", "lr_milestones": [9, 4]}, "must be increasing"),
    ({"lr_gamma": 0.0}, "learning rate gamma must be finite"),
    ({"min_lr": 1.0}, r"min_lr must lie in \[0, lr\)"),
    ({"optimizer_weight_decay": 1e-4}, "choose optimizer adamw"),
    ({"optimizer": "adamw"}, "adamw needs an optimizer_weight_decay above 0"),
    ({"optimizer": "sgd", "optimizer_weight_decay": -1.0},
     "optimizer_weight_decay must be finite and >= 0"),
    ({"clipnorm": 0.0}, "clipnorm must be finite, above 0"),
])
def test_optimisation_settings_are_checked(settings, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(**settings).check()


def parser():
    made = argparse.ArgumentParser(formatter_class=HelpFormatter)
    add_run_arguments(made, RunConfig())
    return made


def test_command_line_options_set_the_fields_and_default_to_today_s_run():
    assert config_from_args(parser(), "siamese", []) == RunConfig(method="siamese")
    config = config_from_args(parser(), "siamese", [
        "--optimizer", "sgd", "--lr-schedule", "multistep", "--warmup-epochs", "10",
        "--warmup-factor", "0.01", "--lr-milestones", "40", "70", "--lr-gamma", "0.2",
        "--optimizer-weight-decay", "5e-4", "--clipnorm", "5", "--epochs", "120"])
    config.check()
    assert (config.lr_schedule, config.warmup_epochs, config.warmup_factor) == \
        ("multistep", 10, 0.01)
    assert (config.lr_milestones, config.lr_gamma, config.clipnorm) == ([40, 70], 0.2, 5.0)
    assert config.optimizer_weight_decay == 5e-4
    helped = " ".join(parser().format_help().split())
    assert "--lr-schedule {constant,multistep,cosine}" in helped
    assert helped.count("no clipping") == 1 and "(default: None)" not in helped


def test_a_run_recorded_before_these_options_is_the_same_run_today():
    from tests.training.test_config import WRITTEN_BEFORE
    from tfreid.training.run_folder import same_settings, settings_of

    today = RunConfig.from_dict(WRITTEN_BEFORE)
    assert {name: getattr(today, name) for name in OPTIMISATION_DEFAULTS} == \
        OPTIMISATION_DEFAULTS == {name: getattr(RunConfig(), name)
                                  for name in OPTIMISATION_DEFAULTS}
    assert same_settings(settings_of(WRITTEN_BEFORE), settings_of(today.to_dict()))
    changed = settings_of(today.replace(warmup_epochs=1).to_dict())
    assert not same_settings(settings_of(WRITTEN_BEFORE), changed)


def test_the_rate_is_logged_also_without_a_schedule():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.25), loss="mse")
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
                        callbacks=[LearningRateLogger()])
    assert history.history["learning_rate"] == [0.25, 0.25]
    scaled = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.Adam(0.5))
    assert current_learning_rate(scaled) == 0.5


# the resumed run: 3 steps an epoch, 1 epoch of warm-up, cosine to 1e-3 over 4 epochs
STEPS, CONFIG = 3, RunConfig(method="siamese", optimizer="sgd", lr=0.1, epochs=4,
                             lr_schedule="cosine", warmup_epochs=1, min_lr=1e-3,
                             optimizer_weight_decay=1e-3, clipnorm=10.0, patience=10, xla=False)


STARTS: list[int] = []  # the steps the training streams started at


def batches(start_step):
    """Step ``i``'s batch, whatever step the stream starts at."""
    STARTS.append(start_step)
    rows = tf.random.stateless_normal((8, 6, 4), seed=(1, 2))

    def batch(step):
        features = rows[step % 8]
        return features, tf.reduce_sum(features, axis=1, keepdims=True)

    return tf.data.Dataset.range(start_step, 10**9).map(batch)


def fit(folder, epochs):
    """A fresh process's model and optimiser fitted (or resumed) in ``folder``."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    model.compile(optimizer=CONFIG.make_optimizer(STEPS), loss="mse", jit_compile=False)
    paths = FitPaths(folder, folder / "checkpoints" / "best", folder / "resume")
    callbacks, best = standard_callbacks(CONFIG, model, {}, paths, verbose=0)
    history = fit_resumable(model, batches, STEPS, epochs, paths, callbacks, best)
    return model, history


def test_a_resumed_run_continues_the_schedule_at_the_right_step(tmp_path):
    whole, whole_history = fit(tmp_path / "whole", 4)
    fit(tmp_path / "killed", 2)  # a run stopped after its second epoch
    STARTS.clear()
    resumed, history = fit(tmp_path / "killed", 4)
    assert STARTS == [2 * STEPS]  # it went on from the third epoch
    assert int(resumed.optimizer.iterations) == int(whole.optimizer.iterations) == 4 * STEPS
    schedule = CONFIG.learning_rate(STEPS)
    expected = [value(schedule, epoch * STEPS) for epoch in (1, 2, 3, 4)]
    assert history["learning_rate"] == whole_history["learning_rate"]
    np.testing.assert_allclose(history["learning_rate"], expected, rtol=1e-6)
    assert history["loss"] == whole_history["loss"]
    for mine, theirs in zip(resumed.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert "epoch_learning_rate" in logged_tags(tmp_path / "killed" / "train")


def logged_tags(folder):
    tags = set()
    for path in folder.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(v.tag for v in event.summary.value)
    return tags


@pytest.mark.slow
def test_a_training_command_follows_the_schedule(tmp_path, tiny_dataset, capsys):
    import json

    from tests.helpers import tiny_siamese
    from tfreid.cli.main import main

    run = tmp_path / "run"
    argv = tiny_siamese(tiny_dataset, "--logdir", str(run), "--no-save-export", "--patience",
                        "3", "--lr", "0.01", "--lr-schedule", "multistep", "--lr-milestones",
                        "2", "--lr-gamma", "0.1", "--warmup-epochs", "1", epochs=3, steps=2)
    assert main(["train-siamese", *argv]) == 0
    rates = json.loads((run / "results.json").read_text())["history"]["learning_rate"]
    # the rate for the next step after each epoch of 2 steps: warm-up over steps 0-1 ends at
    # step 2 (0.01), the milestone after 2 epochs is step 4 (0.001)
    np.testing.assert_allclose(rates, [0.01, 0.001, 0.001], rtol=1e-6)

"""The re-id form of the Keras applications: last stride 1, GeM pooling, BNNeck, and
their defaults building the encoders of before them."""

import argparse

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.models import build_encoder
from tfreid.models.applications import (
    RESNET50_LAST_STRIDE_LAYERS,
    ApplicationOptions,
    ResNet50Options,
    with_stride_one,
)
from tfreid.models.neck import bnneck, features_before_neck
from tfreid.models.pooling import GeneralizedMeanPooling, generalized_mean

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (3, 64, 32, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def resnets():
    """ResNet50 without top at 64x32, and its copy with the last stride 1."""
    base = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(64, 32, 3))
    return base, with_stride_one(base, RESNET50_LAST_STRIDE_LAYERS)


@pytest.fixture(scope="module")
def reid_encoder():
    """MobileNetV3Small with GeM pooling (p 3.5, learnt) and a BNNeck, embedding 8."""
    return build_encoder("mobilenet_v3_small", (64, 32), 8, pooling="gem", gem_p=3.5,
                         neck="bnneck")


def test_last_stride_1_doubles_the_final_map_with_the_same_weights(resnets):
    base, strided = resnets
    assert base.output_shape[1:3] == (2, 1) and strided.output_shape[1:3] == (4, 2)
    for layer in RESNET50_LAST_STRIDE_LAYERS:
        assert base.get_layer(layer).strides == (2, 2)
        assert strided.get_layer(layer).strides == (1, 1)
    assert [w.name for w in strided.weights] == [w.name for w in base.weights]
    for mine, theirs in zip(strided.get_weights(), base.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.slow
def test_resnet50_with_every_option_builds_and_embeds():
    encoder = build_encoder("resnet50", (64, 32), 8, last_stride=1, pooling="gem",
                            neck="bnneck")
    assert encoder.get_layer("resnet50").output_shape[1:3] == (4, 2)
    assert encoder(IMAGES).shape == (3, 8)
    assert encoder.layers[-1].name == "bnneck"


def test_the_defaults_build_the_encoders_of_before():
    encoder = build_encoder("mobilenet_v3_small", (64, 32), 8)
    assert [layer.name for layer in encoder.layers] == \
        ["images", "MobilenetV3small", "embedding"]
    assert encoder.get_layer("MobilenetV3small").output_shape == (None, 576)
    assert ResNet50Options() == ResNet50Options(None, "avg", 3.0, True, "none", 2)
    assert ApplicationOptions().pooling == "avg" and ApplicationOptions().neck == "none"


def test_the_options_are_flags():
    from tfreid.cli.common import add_backbone_arguments

    parser = argparse.ArgumentParser()
    add_backbone_arguments(parser)
    args = parser.parse_args(["--last-stride", "1", "--pooling", "gem", "--gem-p", "4",
                              "--no-gem-p-trainable", "--neck", "bnneck"])
    assert (args.last_stride, args.pooling, args.gem_p, args.gem_p_trainable, args.neck) == \
        (1, "gem", 4.0, False, "bnneck")
    defaults = parser.parse_args([])
    assert (defaults.last_stride, defaults.pooling, defaults.neck) == (2, "avg", "none")
    with pytest.raises(SystemExit):
        parser.parse_args(["--last-stride", "3"])


def test_a_run_recorded_before_these_options_is_the_same_run_today():
    from tfreid.training.config import RunConfig
    from tfreid.training.run_folder import same_settings, settings_of

    today = settings_of(RunConfig(backbone="resnet50").to_dict())
    recorded = {**today, "backbone_options": {"weights": None}}
    assert same_settings(recorded, today)
    changed = settings_of(RunConfig(backbone="resnet50",
                                    backbone_options={"neck": "bnneck"}).to_dict())
    assert not same_settings(recorded, changed)


def gem_layer(p: float, **options) -> GeneralizedMeanPooling:
    layer = GeneralizedMeanPooling(p, **options)
    layer.build((None, 2, 2, 1))
    return layer


def test_gem_by_hand_on_a_2x2_map():
    x = np.array([1.0, 2.0, 3.0, 4.0], np.float32).reshape(1, 2, 2, 1)
    np.testing.assert_allclose(gem_layer(2.0)(x).numpy(), [[np.sqrt(7.5)]], rtol=1e-6)
    np.testing.assert_allclose(gem_layer(3.0)(x).numpy(), [[25.0 ** (1 / 3)]], rtol=1e-6)


def test_gem_p_1_is_average_and_large_p_is_max_pooling():
    x = RNG.uniform(0.1, 5.0, (2, 4, 4, 6)).astype(np.float32)
    np.testing.assert_allclose(generalized_mean(x, 1.0).numpy(), x.mean(axis=(1, 2)),
                               rtol=1e-5)
    np.testing.assert_allclose(generalized_mean(x, 300.0).numpy(), x.max(axis=(1, 2)),
                               rtol=0.01)
    big = np.full((1, 3, 3, 1), 1e4, np.float32)  # 1e4^300 would overflow float32
    np.testing.assert_allclose(generalized_mean(big, 300.0).numpy(), [[1e4]], rtol=1e-5)


def test_gem_gradients_are_finite_and_those_of_the_formula():
    x = tf.constant(RNG.uniform(0.0, 2.0, (2, 3, 3, 4)).astype(np.float32))
    x = tf.tensor_scatter_nd_update(x, [[0, 0, 0, 0], [1, 2, 2, 3]], [0.0, 0.0])
    p = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        mine = tf.reduce_sum(generalized_mean(x, p))
        clamped = tf.maximum(x, 1e-6)
        naive = tf.reduce_sum(tf.reduce_mean(clamped ** p, axis=[1, 2]) ** (1 / p))
    for ours, formula in zip(tape.gradient(mine, [x, p]), tape.gradient(naive, [x, p]),
                             strict=True):
        assert np.isfinite(ours.numpy()).all()
        np.testing.assert_allclose(ours.numpy(), formula.numpy(), rtol=1e-4, atol=1e-6)
    assert tape.gradient(mine, x).numpy()[0, 0, 0, 0] == 0.0  # clamped: no gradient


def test_gem_p_learnt_or_fixed_and_float32_under_mixed_precision():
    assert [w.name for w in gem_layer(3.0).trainable_weights] == ["p:0"]
    assert gem_layer(3.0, train_p=False).trainable_weights == []
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = GeneralizedMeanPooling()
        out = layer(tf.ones((1, 2, 2, 3), tf.float16))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert layer.compute_dtype == "float32" and out.dtype == tf.float32


def test_gem_saves_and_loads(tmp_path):
    import tfreid

    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, GeneralizedMeanPooling(2.5, train_p=False, name="gem")(inputs))
    model.get_layer("gem").p.assign(4.0)
    model.save(tmp_path / "gem.keras")
    loaded = tfreid.load_model(tmp_path / "gem.keras", compile=False)
    x = RNG.uniform(0, 1, (2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert loaded.get_layer("gem").get_config() == model.get_layer("gem").get_config()
    assert float(loaded.get_layer("gem").p.numpy()) == 4.0


def test_bnneck_batch_statistics_in_training_moving_ones_at_inference():
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    neck = bnneck()
    eps, momentum = neck.epsilon, neck.momentum
    mean, var = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(neck(x, training=True).numpy(),
                               (x - mean) / np.sqrt(var + eps), rtol=1e-5)
    moving_mean, moving_var = (1 - momentum) * mean, momentum + (1 - momentum) * var
    np.testing.assert_allclose(neck(x, training=False).numpy(),
                               (x - moving_mean) / np.sqrt(moving_var + eps), rtol=1e-5)
    assert not neck.center and [w.name.split("/")[-1] for w in neck.weights] == \
        ["gamma:0", "moving_mean:0", "moving_variance:0"]


def test_the_encoder_outputs_after_the_neck_and_exposes_before(reid_encoder):
    assert reid_encoder.output_shape == (None, 8)
    assert [layer.name for layer in reid_encoder.layers[-3:]] == \
        ["gem_pooling", "embedding", "bnneck"]
    before, after = features_before_neck(reid_encoder)(IMAGES, training=False)
    neck = reid_encoder.get_layer("bnneck")
    np.testing.assert_allclose(after.numpy(), neck(before, training=False).numpy(), rtol=1e-5)
    np.testing.assert_allclose(after.numpy(), reid_encoder(IMAGES).numpy(), rtol=1e-5)
    plain = build_encoder("mobilenet_v3_small", (64, 32), 8)
    same, also = features_before_neck(plain)(IMAGES)
    np.testing.assert_array_equal(same.numpy(), also.numpy())


def test_a_run_s_encoder_with_these_options_starts_a_new_one(reid_encoder, tmp_path):
    from tfreid.training.engine import start_from

    reid_encoder.get_layer("gem_pooling").p.assign(2.75)
    reid_encoder.save(tmp_path / "encoder.keras")
    fresh = build_encoder("mobilenet_v3_small", (64, 32), 8, pooling="gem", gem_p=3.5,
                          neck="bnneck")
    start_from(fresh, str(tmp_path))
    assert float(fresh.get_layer("gem_pooling").p.numpy()) == 2.75
    np.testing.assert_allclose(fresh(IMAGES).numpy(), reid_encoder(IMAGES).numpy(),
                               rtol=1e-5, atol=1e-5)


def test_the_table1_cnn_takes_the_neck_and_its_older_runs_stay_the_same():
    from tfreid.training.config import RunConfig
    from tfreid.training.run_folder import same_settings, settings_of

    config = RunConfig.for_method("batch", neck="bnneck")
    assert config.backbone == "table1" and config.backbone_options["neck"] == "bnneck"
    encoder = build_encoder("table1", (40, 40), 8, **config.backbone_options)
    assert [layer.name for layer in encoder.layers[-2:]] == ["embedding", "bnneck"]
    images = np.random.default_rng(0).uniform(0, 255, (4, 40, 40, 3)).astype(np.float32)
    before, after = features_before_neck(encoder)(images, training=True)
    mean, var = before.numpy().mean(axis=0), before.numpy().var(axis=0)
    eps = encoder.get_layer("bnneck").epsilon
    np.testing.assert_allclose(after.numpy(), (before.numpy() - mean) / np.sqrt(var + eps),
                               rtol=1e-4, atol=1e-4)
    assert build_encoder("table1", (40, 40), 8).layers[-1].name == "embedding"
    today = settings_of(RunConfig().to_dict())
    recorded = {**today, "backbone_options": {"activation": "relu", "width": 1.0,
                                              "downscale": 1}}
    assert same_settings(recorded, today)
    with_neck = settings_of(RunConfig(backbone_options={"neck": "bnneck"}).to_dict())
    assert not same_settings(recorded, with_neck)

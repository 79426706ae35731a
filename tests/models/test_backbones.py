"""Backbones by name, Keras applications included, from local weights files only."""

import numpy as np
import pytest

from tfreid.backend import keras
from tfreid.catalog import BACKBONES
from tfreid.errors import ConfigError
from tfreid.models import CaffePreprocessing, build_encoder


@pytest.mark.slow
def test_every_registered_backbone_builds_and_embeds():
    images = np.random.default_rng(0).integers(0, 255, (2, 48, 48, 3)).astype(np.float32)
    for name in BACKBONES:
        options = {"embedding_dim": 18 if name == "pami" else 16}  # pami: a multiple of 3 x 3
        encoder = build_encoder(name, (48, 48), **options)
        assert encoder(images).shape == (2, options["embedding_dim"]), name
        assert isinstance(encoder.layers[-1], keras.layers.Dense) or name == "pami"


def test_application_weights_come_from_a_local_file(tmp_path):
    base = keras.applications.MobileNetV3Small(include_top=False, weights=None,
                                               input_shape=(48, 48, 3), pooling="avg")
    rng = np.random.default_rng(1)
    base.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.01
                      for w in base.get_weights()])
    path = tmp_path / "mobilenet_v3_small_notop.h5"
    base.save_weights(str(path))
    encoder = build_encoder("mobilenet_v3_small", (48, 48), 8, weights=str(path))
    loaded = next(layer for layer in encoder.layers if isinstance(layer, keras.Model))
    for mine, theirs in zip(loaded.get_weights(), base.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    with pytest.raises(ConfigError, match="local weights file"):
        build_encoder("resnet50", (48, 48), 8, weights="imagenet")


def test_resnet50_preprocessing_is_keras_caffe_mode():
    pixels = np.random.default_rng(2).integers(0, 256, (2, 5, 5, 3)).astype(np.float32)
    expected = keras.applications.resnet50.preprocess_input(pixels.copy())
    np.testing.assert_allclose(CaffePreprocessing()(pixels).numpy(), expected, atol=1e-4)


def test_unknown_backbone_lists_the_names():
    with pytest.raises(ConfigError, match="choose from table1, siamese_base, pami, resnet50"):
        build_encoder("vit", (48, 48), 8)

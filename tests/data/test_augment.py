import math

import numpy as np
import pytest

from tfreid.backend import tf
from tfreid.data.augment import augmentation, gaussian_blur, greyscale, rotate
from tfreid.data.names import AUGMENTATIONS
from tfreid.data.views import anchor_positive_dataset
from tfreid.errors import ConfigError, DataError


def image(seed=0, size=28, channels=3):
    return np.random.default_rng(seed).integers(0, 256, (size, size, channels), dtype=np.uint8)


@pytest.mark.parametrize("kind", AUGMENTATIONS)
@pytest.mark.parametrize("channels", [1, 3])
def test_shape_dtype_and_determinism(kind, channels):
    apply = augmentation(kind)
    x = tf.constant(image(channels=channels))
    first = apply(x, tf.constant([3, 4])).numpy()
    assert first.shape == x.shape and first.dtype == np.uint8
    np.testing.assert_array_equal(first, apply(x, tf.constant([3, 4])).numpy())
    changed = [not np.array_equal(first, apply(x, tf.constant([3, s])).numpy())
               for s in range(5, 9)]
    assert all(changed) if kind != "none" else not any(changed)


def test_none_is_identity_and_unknown_kind_fails():
    x = image()
    np.testing.assert_array_equal(augmentation("none")(tf.constant(x), tf.constant([0, 0])), x)
    with pytest.raises(ConfigError, match="unknown augmentation"):
        augmentation("mixup")


def test_rotate_quarter_turn_is_rot90_and_zero_is_identity():
    x = np.zeros((5, 5, 1), np.float32)
    x[0, 1], x[2, 4] = 1.0, 2.0
    quarter = rotate(tf.constant(x), tf.constant(math.pi / 2)).numpy()
    np.testing.assert_allclose(quarter, np.rot90(x, 1, axes=(0, 1)), atol=1e-5)
    np.testing.assert_allclose(rotate(tf.constant(x), tf.constant(0.0)).numpy(), x, atol=1e-6)


def test_blur_keeps_constant_image_and_greyscale_equalises_channels():
    flat = tf.fill((28, 28, 3), 0.4)
    np.testing.assert_allclose(gaussian_blur(flat, tf.constant(1.5))[5:-5, 5:-5], 0.4, atol=1e-6)
    grey = greyscale(tf.constant(image().astype(np.float32) / 255.0)).numpy()
    np.testing.assert_allclose(grey[..., 0], grey[..., 2])


def test_fer_keeps_centre_content_roughly():
    x = np.zeros((28, 28, 3), np.uint8)
    x[10:18, 10:18] = 255  # a centred square: rotating by <= 15 deg keeps its centre lit
    out = augmentation("fer")(tf.constant(x), tf.constant([0, 1])).numpy()
    assert out[13:15, 13:15].min() > 200 and out[:3, :3].max() == 0


def test_anchor_positive_batches():
    images = np.stack([image(seed) for seed in range(10)])
    labels = np.arange(10) % 3
    batches = anchor_positive_dataset(images, labels, "none", batch_size=4, seed=1)
    x, y = next(iter(batches))
    assert x.shape == (8, 28, 28, 3) and y.shape == (8,)
    np.testing.assert_array_equal(x[:4], x[4:])  # "none": the positive is the anchor
    np.testing.assert_array_equal(y[:4], y[4:])
    for row, label in zip(x[:4].numpy(), y[:4].numpy(), strict=True):
        index = [i for i in range(10) if np.array_equal(images[i], row)][0]
        assert labels[index] == label


def test_anchor_positive_batches_are_seeded():
    images = np.stack([image(seed) for seed in range(10)])
    labels = np.arange(10) % 3

    def first_two(seed):
        stream = iter(anchor_positive_dataset(images, labels, "simclr", 4, seed))
        return [next(stream)[0].numpy() for _ in range(2)]

    a, b = first_two(7), first_two(7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0][4:], a[0][:4])  # positives are augmented
    with pytest.raises(DataError, match="cannot fill a batch"):
        anchor_positive_dataset(images, labels, "none", 16, 0)

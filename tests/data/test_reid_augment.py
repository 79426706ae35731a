"""Re-id training augmentations: each op's checkable property, seeding, the same augmented
batches from memory and from the shards, the option, learning with it, the TensorBoard grid."""

import argparse

import numpy as np
import pytest

from tfreid.backend import tf
from tfreid.catalog import TRAIN_AUGMENTATIONS
from tfreid.data import load_split, pair_dataset, pk_dataset, stream_split
from tfreid.data.input_shard import input_shard
from tfreid.data.reid_augment import (
    ERASE_FILL,
    PAD,
    augment_stream,
    canonical,
    compose,
    erase,
    flip,
    jitter,
    pad_crop,
)
from tfreid.errors import ConfigError
from tfreid.training.config import RunConfig

ALL = ["flip", "pad_crop", "jitter", "erase"]
SEEDS = [tf.constant([s, 7], tf.int64) for s in range(24)]
# values in [1, 100]: never the zero padding, never the erasing fill (>= 104)
IMAGE = np.random.default_rng(0).integers(1, 101, (36, 24, 3)).astype(np.uint8)


def outputs(op):
    return [op(tf.constant(IMAGE), seed).numpy() for seed in SEEDS]


def test_the_ops_are_registered_in_the_order_they_are_applied():
    assert TRAIN_AUGMENTATIONS.names() == tuple(ALL)
    assert TRAIN_AUGMENTATIONS.get("erase") is erase
    assert canonical(["erase", "bot", "jitter", "flip"]) == ALL
    assert canonical(["bot"]) == ["flip", "pad_crop", "erase"]
    with pytest.raises(ValueError, match="'blur'"):
        canonical(["blur"])


def test_flip_mirrors_exactly_or_leaves_the_image():
    flipped = [(out == IMAGE[:, ::-1]).all() for out in outputs(flip)]
    kept = [(out == IMAGE).all() for out in outputs(flip)]
    assert all(f != k for f, k in zip(flipped, kept, strict=True))
    assert 4 <= sum(flipped) <= 20  # p = 0.5 over 24 seeds


def test_pad_crop_is_a_window_of_the_zero_padded_image():
    padded = np.pad(IMAGE, [(PAD, PAD), (PAD, PAD), (0, 0)])
    height, width = IMAGE.shape[:2]
    found = set()
    for out in outputs(pad_crop):
        offsets = [(y, x) for y in range(2 * PAD + 1) for x in range(2 * PAD + 1)
                   if (padded[y:y + height, x:x + width] == out).all()]
        assert len(offsets) == 1
        found.add(offsets[0])
    assert len(found) > 12


def test_erase_fills_one_rectangle_of_the_paper_s_area_and_aspect_or_nothing():
    fired = 0
    for out in outputs(erase):
        changed = (out != IMAGE).any(axis=-1)
        if not changed.any():
            continue
        fired += 1
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        box_h, box_w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        assert changed.sum() == box_h * box_w  # every pixel of the bounding box: a rectangle
        assert (out[changed] == ERASE_FILL).all()
        assert 0.02 <= box_h * box_w / changed.size <= 0.4
        assert 0.3 <= box_h / box_w <= 1 / 0.3
    assert 4 <= fired <= 20


def test_jitter_changes_colours_half_the_time_within_modest_factors():
    changed = [not (out == IMAGE).all() for out in outputs(jitter)]
    assert 4 <= sum(changed) <= 20
    for out in outputs(jitter):
        mean_ratio = out.astype(float).mean() / IMAGE.astype(float).mean()
        assert 0.6 < mean_ratio < 1.4 and out.dtype == np.uint8


def test_the_same_seed_gives_the_same_image_and_other_seeds_others():
    op = compose(ALL)
    first, again = (op(tf.constant(IMAGE), SEEDS[3]).numpy() for _ in range(2))
    np.testing.assert_array_equal(first, again)
    assert len({op(tf.constant(IMAGE), seed).numpy().tobytes() for seed in SEEDS}) == len(SEEDS)
    # each op keeps its own seed whichever others run: flip then pad_crop is pad_crop of flip
    for seed in SEEDS[:4]:
        seeds = tf.random.experimental.stateless_split(seed, 4)
        both = compose(["pad_crop", "flip"])(tf.constant(IMAGE), seed)
        np.testing.assert_array_equal(both, pad_crop(flip(tf.constant(IMAGE), seeds[0]),
                                                     seeds[1]))


def batches(count=4):
    images = tf.constant(np.stack([IMAGE] * 6))
    return tf.data.Dataset.from_tensors((images, tf.range(6))).repeat(count)


def test_a_stream_is_augmented_the_same_on_every_run_and_from_a_resumed_step():
    first = [b[0].numpy() for b in augment_stream(batches(), ALL, seed=5)]
    again = [b[0].numpy() for b in augment_stream(batches(), ALL, seed=5)]
    resumed = [b[0].numpy() for b in augment_stream(batches(2), ALL, seed=5, start_step=2)]
    other = [b[0].numpy() for b in augment_stream(batches(), ALL, seed=6)]
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first[2:], resumed)
    assert not np.array_equal(first, other) and not np.array_equal(first[0], first[1])
    assert len({image.tobytes() for image in first[0]}) == 6  # positions differ
    assert augment_stream(batches(), [], seed=5) is not None
    np.testing.assert_array_equal(next(iter(augment_stream(batches(), [], seed=5)))[0],
                                  np.stack([IMAGE] * 6))


@pytest.fixture(scope="module")
def both(tiny_dataset):
    """The tiny surface set's training split in memory and streamed, resized to 40 px."""
    return load_split(tiny_dataset, "train", (40, 40)), stream_split(tiny_dataset, "train",
                                                                       (40, 40))


def assert_same(first, second, count=2):
    for a, b in zip(first.take(count), second.take(count), strict=True):
        tf.nest.map_structure(lambda x, y: np.testing.assert_array_equal(x.numpy(), y.numpy()),
                              a, b)


@pytest.mark.numeric
def test_augmented_batches_are_the_same_from_memory_and_from_the_shards(both):
    for make in (
        lambda s: augment_stream(pk_dataset(s.images, s.identities, 4, 3, seed=2,
                                            start_step=7), ALL, 2, 7),
        lambda s: augment_stream(pair_dataset(s.images, s.identities, 8, seed=3), ALL, 3),
    ):
        assert_same(make(both[0]), make(both[1]))


@pytest.mark.numeric
def test_a_worker_augments_its_rows_as_the_whole_batch_is(both):
    memory, streamed = both

    def first(split):
        return next(iter(augment_stream(pk_dataset(split.images, split.identities, 4, 3,
                                                   seed=2), ALL, 2)))

    whole = first(memory)
    parts = []
    for worker in range(2):
        with input_shard(worker, 2):
            parts.append(first(streamed))
    np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), whole[0])


def test_the_option_is_listed_ordered_and_off_by_default():
    from tfreid.cli.common import add_run_arguments, config_from_args
    from tfreid.cli.parsing import HelpFormatter

    parser = argparse.ArgumentParser(formatter_class=HelpFormatter)
    add_run_arguments(parser, RunConfig())
    assert config_from_args(parser, "batch", []).train_augment == []
    config = config_from_args(parser, "batch", ["--train-augment", "jitter", "bot"])
    assert config.train_augment == ALL
    assert RunConfig.from_dict({**config.to_dict(), "train_augment": ["bot"]}) == \
        config.replace(train_augment=["flip", "pad_crop", "erase"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--train-augment", "blur"])
    with pytest.raises(ConfigError, match="unknown training augmentation 'blur'"):
        RunConfig(train_augment=["blur"]).check()


def test_a_run_recorded_before_the_option_trains_without_augmentation():
    from tests.training.test_config import WRITTEN_BEFORE

    assert RunConfig.from_dict(WRITTEN_BEFORE).train_augment == []


@pytest.mark.parametrize("method", ["augmented", "stml"])
def test_methods_with_their_own_views_refuse_the_option(method):
    from tfreid.training.engine import make_method

    config = RunConfig.for_method(method, train_augment=["flip"])
    with pytest.raises(ConfigError, match=f"method {method} augments its views"):
        make_method(config)


def event_tags(logdir):
    tags = set()
    for event_file in logdir.rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags.update(value.tag for value in event.summary.value)
    return tags


@pytest.mark.slow
@pytest.mark.parametrize("method, options", [
    ("triplet", {"num_triplets": 64}),
    ("siamese", {"sampling": "pairs", "steps_per_epoch": 2, "validation_steps": 1}),
])
def test_every_supervised_sampler_trains_augmented_and_shows_the_grid(tmp_path, tiny_dataset,
                                                                      method, options):
    from tfreid.training import train

    config = RunConfig.for_method(method, dataset=str(tiny_dataset), epochs=1, batch_size=16,
                                  image_size=40, embedding_dim=8, logdir=str(tmp_path / "run"),
                                  save_export=False, train_augment=["bot", "jitter"], **options)
    train(config, verbose=0)
    assert "train_augment/images" in event_tags(tmp_path / "run" / "train")


@pytest.mark.slow
def test_a_p_x_k_run_with_every_augmentation_learns_above_chance(tmp_path, learnable_dataset):
    from tfreid.training import train

    config = RunConfig.for_method("batch", dataset=str(learnable_dataset), epochs=6, patience=6,
                                  image_size=48, embedding_dim=32, batch_size=32,
                                  loss="multi_similarity", steps_per_epoch=20,
                                  logdir=str(tmp_path / "run"), save_export=False,
                                  train_augment=ALL)
    results = train(config, verbose=0)
    assert results["config"]["train_augment"] == ALL
    assert results["test"]["rank1"] > 2.5 * results["chance"]["rank1"]
    assert "train_augment/images" in event_tags(tmp_path / "run" / "train")

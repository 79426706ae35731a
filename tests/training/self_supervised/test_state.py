"""The self-supervised models' state: nearest neighbours, candidate pools and band mining
against brute force, the teacher's EMA, memory-bank writes by index."""

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.models import build_encoder
from tfreid.training.self_supervised.candidate_pool import band_masks, candidate_pool
from tfreid.training.self_supervised.instance_contrast_model import InstanceContrastModel
from tfreid.training.self_supervised.neighbours import nearest_neighbours
from tfreid.training.self_supervised.self_taught_model import SelfTaughtModel


def test_candidate_pool_is_the_brute_force_top_k_by_inner_product():
    x = np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    expected = np.argsort(-similarity, axis=1, kind="stable")[:, :7]
    np.testing.assert_array_equal(candidate_pool(x, 7), expected)
    indices, distances = nearest_neighbours(x, 3, metric="squared_euclidean", include_self=True)
    squared = ((x[:, None] - x[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(indices[:, 0], np.arange(40))  # itself first
    np.testing.assert_allclose(distances, np.sort(squared, axis=1)[:, :3], atol=1e-4)


def test_band_mining_by_hand():
    # image 0 and a pool of 5 on the unit circle at cosines 0.9, 0.7, 0.65, 0.55, 0.3 to it
    angles = np.arccos([1.0, 0.9, 0.7, 0.65, 0.55, 0.3])
    features = np.stack([np.cos(angles), np.sin(angles)], 1)
    pool = np.array([[1, 2, 3, 4, 5]])
    positive, negative = band_masks(features[[0, 1, 2, 3, 4, 5]][:6], np.vstack(
        [pool, np.zeros((5, 5), int)]), high=0.75, low=0.5, threshold=0.6, passes=4, top=1)
    # 0.9 is positive, 0.3 negative; band 0.7, 0.65, 0.55: mean cosine to {0, 1} decides:
    # 0.7 -> mean(0.7, cos(a1 - a2)) > 0.6 joins first, then 0.65, then 0.55 if >= 0.6
    cos = np.cos
    scores_55 = np.mean([cos(angles[4] - angles[j]) for j in (0, 1, 2, 3)])
    assert positive[0].tolist() == [True, True, True, scores_55 >= 0.6, False]
    assert negative[0].tolist() == [False, False, False, False, True]


def small_encoder(dim=8):
    keras.utils.set_random_seed(0)
    return build_encoder("table1", (40, 40), dim)


def images(count=24):
    return np.random.default_rng(1).integers(0, 255, (count, 40, 40, 3)).astype(np.uint8)


def test_teacher_ema_is_exact():
    model = SelfTaughtModel(small_encoder(), images(), wide_dim=6, num_neighbours=3, queries=2,
                            sigma=3.0, delta=1.0, momentum=0.9, augment="none", seed=0)
    teacher_before = [w.numpy().copy() for w in model.teacher.weights]
    np.testing.assert_allclose(teacher_before[0], model.student_g.weights[0].numpy())
    for weight in model.student_g.weights:  # move the student
        weight.assign(weight + 1.0)
    student = [w.numpy() for w in model.student_g.weights]
    model.ema_update()
    for teacher, old, new in zip(model.teacher.weights, teacher_before, student, strict=True):
        np.testing.assert_allclose(teacher.numpy(), 0.9 * old + 0.1 * new, rtol=1e-6)


def test_a_self_taught_step_updates_teacher_then_student():
    model = SelfTaughtModel(small_encoder(), images(), wide_dim=6, num_neighbours=3, queries=2,
                            sigma=3.0, delta=1.0, momentum=0.5, augment="none", seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    model.refresh(0)
    np.testing.assert_array_equal(model.table.numpy()[:, 0], np.arange(24))
    student_before = [w.numpy().copy() for w in model.student_g.weights]
    teacher_before = [w.numpy().copy() for w in model.teacher.weights]
    model.train_step(tf.constant([0], tf.int64))
    # the teacher moved towards the student's weights from before the optimiser step
    for teacher, old, student in zip(model.teacher.weights, teacher_before, student_before,
                                     strict=True):
        np.testing.assert_allclose(teacher.numpy(), 0.5 * old + 0.5 * student, rtol=1e-5,
                                   atol=1e-7)
    assert any(not np.allclose(w.numpy(), b) for w, b in zip(model.student_g.weights,
                                                              student_before, strict=True))


def insclr_settings(**changes):
    settings = dict(pool_size=6, neighbours=2, anchors=4, margin=0.4, cycles=4,
                    epochs_per_cycle=1, positive_threshold=None, high=0.75, low=0.5,
                    threshold=0.6, passes=4, top=5, exclusion=3, memory_from_step=0)
    return {**settings, **changes}


def test_memory_bank_rows_are_written_by_index():
    encoder = small_encoder()
    model = InstanceContrastModel(encoder, images(), insclr_settings(), "none", seed=2)
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # no update: embeddings stay put
    model.refresh(0)
    step = tf.constant([5], tf.int64)
    indices, _ = model.batch_rows(tf.reshape(step, []))
    model.train_step(step)
    written = np.flatnonzero(model.written.numpy())
    assert sorted(written.tolist()) == sorted(set(indices.numpy().tolist()))
    z = encoder(model.images.gather(indices), training=False).numpy()
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    last = {index: row for row, index in enumerate(indices.numpy())}  # a repeat: its last row
    for index, row in last.items():
        np.testing.assert_allclose(model.memory.numpy()[index], z[row], rtol=1e-4, atol=1e-5)
    untouched = np.setdiff1d(np.arange(24), written)
    assert not model.memory.numpy()[untouched].any()


def test_pseudo_labels_follow_tuples_and_the_mining_test():
    model = InstanceContrastModel(small_encoder(), images(), insclr_settings(), "none", seed=2)
    model.refresh(0)
    model.neighbour_positive.assign(np.tile([[True, False]], (24, 1)))
    indices, labels = model.batch_rows(tf.constant(1, tf.int64))
    labels = labels.numpy().reshape(4, 3)
    assert (labels[:, 0] == labels[:, 1]).all() and len(set(labels[:, 0])) == 4
    assert len(set(labels[:, 2])) == 4 and not set(labels[:, 2]) & set(labels[:, 0])
    pool = model.table.numpy()
    anchors = indices.numpy().reshape(4, 3)[:, 0]
    np.testing.assert_array_equal(indices.numpy().reshape(4, 3)[:, 1:], pool[anchors, :2])


@pytest.mark.parametrize("epoch, cycle", [(0, 0), (3, 3)])
def test_the_last_cycle_fills_the_memory_and_mines_bands(epoch, cycle):
    model = InstanceContrastModel(small_encoder(), images(), insclr_settings(), "none", seed=2)
    model.refresh(epoch)
    assert bool(model.mining.numpy()) == (cycle == 3)
    assert model.written.numpy().all() == (cycle == 3)

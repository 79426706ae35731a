"""The TensorFlow sides of ``training_speed.py`` (one function per implementation)."""

import os
import time

import numpy as np

from tfreid.backend import keras, tf

TRIPLETS, WARMUP = 128, 5


def _timed_fit(model, data, steps: int) -> float:
    model.fit(data, steps_per_epoch=WARMUP, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * 3 * TRIPLETS / (time.perf_counter() - started)


def prepare(folder: str) -> None:
    """The benchmark's data in ``folder``: 200 generated surfaces x 6 views as 64 px JPEG
    TFRecord shards (``dataset/``) and the first 384 training images (``batch.npy``)."""
    from tfreid.data.reader import load_split
    from tfreid.data.surfaces import SurfaceConfig, surface_records
    from tfreid.data.writer import write_dataset

    records = surface_records(SurfaceConfig(num_identities=200, image_size=64,
                                            test_fraction=0.02))
    write_dataset(os.path.join(folder, "dataset"), records, "speed", "surfaces",
                  images_per_shard=128)
    images = load_split(os.path.join(folder, "dataset"), "train", (64, 64)).images
    np.save(os.path.join(folder, "batch.npy"), images[:3 * TRIPLETS].reshape(
        3, TRIPLETS, 64, 64, 3))


def tfreid_fit(folder: str, steps: int, streamed: bool) -> float:
    """The triplet method's plan, compiled and fitted as the engine does, on the
    training split held in memory or streamed from its shards."""
    from tfreid.data.pipeline_options import steady_stream
    from tfreid.data.reader import load_split
    from tfreid.data.record_images import stream_split
    from tfreid.models.backbones import build_encoder
    from tfreid.training.config import RunConfig
    from tfreid.training.engine import make_method

    read = stream_split if streamed else load_split
    split = read(os.path.join(folder, "dataset"), "train", (64, 64))
    config = RunConfig.for_method("triplet", image_size=64, xla=False)
    keras.utils.set_random_seed(0)
    encoder = build_encoder("table1", (64, 64), 100)
    plan = make_method(config).plan(encoder, {"train": split, "validation": split})
    plan.model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=plan.loss,
                       jit_compile=config.jit_compile())
    return _timed_fit(plan.model, steady_stream(plan.train(0)), steps)


def _model_and_loss():
    from tfreid.losses import TripletLoss
    from tfreid.models.backbones import build_encoder
    from tfreid.models.triplet import build_triplet_model

    keras.utils.set_random_seed(0)
    return build_triplet_model(build_encoder("table1", (64, 64), 100)), TripletLoss(1.0)


def keras_fixed_fit(batch: np.ndarray, steps: int) -> float:
    """Keras ``fit`` of the triplet model on one fixed batch."""
    model, loss = _model_and_loss()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, jit_compile=False)
    inputs = {name: batch[i] for i, name in enumerate(("anchor", "positive", "negative"))}
    data = tf.data.Dataset.from_tensors((inputs, np.zeros(TRIPLETS, np.float32))).repeat()
    return _timed_fit(model, data, steps)


def tf_function_step(batch: np.ndarray, steps: int) -> float:
    """A plain ``tf.function`` training step: GradientTape, the loss, Adam."""
    model, loss = _model_and_loss()
    optimizer = keras.optimizers.Adam(1e-3)
    inputs = {name: tf.constant(batch[i])
              for i, name in enumerate(("anchor", "positive", "negative"))}
    target = tf.zeros([TRIPLETS])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            value = loss(target, model(inputs, training=True))
        weights = model.trainable_weights
        optimizer.apply_gradients(zip(tape.gradient(value, weights), weights, strict=True))
        return value

    for _ in range(WARMUP):
        step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    float(step())  # wait for the last step
    return (steps + 1) * 3 * TRIPLETS / (time.perf_counter() - started)

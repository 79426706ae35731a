"""A method that keeps its own training state plugs into the engine as a ``keras.Model``
subclass with its own ``train_step`` (TensorFlow Similarity's pattern): one file, one line."""

from dataclasses import dataclass

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.catalog import METHODS
from tfreid.losses import TripletMarginLoss
from tfreid.registry import option
from tfreid.training import RunConfig, train
from tfreid.training.methods.base import Method, Plan
from tfreid.training.methods.sampling import pk_streams


class EmaTeacherModel(keras.Model):
    """A student trained by a batch loss, and a teacher following it by an EMA of all its
    weights, updated in ``train_step`` after each optimiser step."""

    def __init__(self, student: keras.Model, momentum: float):
        super().__init__()
        self.student = student
        self.teacher = keras.models.clone_model(student)
        self.teacher.set_weights(student.get_weights())
        self.teacher.trainable = False
        self.momentum = momentum
        self.steps_taken = tf.Variable(0, dtype=tf.int64, trainable=False)

    def call(self, images, training=None):
        return self.student(images, training=training)

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            loss = self.compiled_loss(labels, self.student(images, training=True))
        weights = self.student.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))
        for teacher, student in zip(self.teacher.weights, self.student.weights, strict=True):
            teacher.assign(self.momentum * teacher + (1.0 - self.momentum) * student)
        self.steps_taken.assign_add(1)
        return {"loss": loss}


@dataclass
class EmaOptions:
    momentum: float = option(0.9, "teacher EMA momentum")
    steps_per_epoch: int = option(20, "batches per epoch", minimum=1)


class EmaTeacherMethod(Method):
    name = "ema_teacher"
    Options = EmaOptions
    planned: list = []

    def plan(self, encoder, data):
        self.model = EmaTeacherModel(encoder, self.options.momentum)
        self.planned.append(self.model)
        stream, validation = pk_streams(self.config, data, 4, 4)
        return Plan(self.model, TripletMarginLoss(miner="hard"), stream,
                    self.options.steps_per_epoch, validation)


@pytest.fixture
def registered():
    METHODS.register("ema_teacher", EmaTeacherMethod)
    yield
    METHODS.remove("ema_teacher")


@pytest.mark.slow
def test_a_stateful_method_trains_through_the_engine(registered, tmp_path, learnable_dataset):
    config = RunConfig.for_method("ema_teacher", dataset=str(learnable_dataset), epochs=5,
                                  patience=5, image_size=48, embedding_dim=32, batch_size=32,
                                  momentum=0.8, logdir=str(tmp_path / "run"), save_export=False)
    results = train(config, verbose=0)
    assert results["method"] == "ema_teacher" and results["epochs_run"] == 5
    assert results["test"]["rank1"] > 2.5 * results["chance"]["rank1"]
    model = EmaTeacherMethod.planned[-1]
    # its state is a weight like the others: the best epoch's, restored at the end
    assert int(model.steps_taken.numpy()) == results["best_epoch"] * 20
    student, teacher = model.student.get_weights(), model.teacher.get_weights()
    assert any(not np.allclose(s, t) for s, t in zip(student, teacher, strict=True))
    assert (tmp_path / "run" / "encoder.keras").is_file()


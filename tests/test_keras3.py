"""tfreid objects refuse a Keras 3 model or optimizer at the first contact, in one line
(issue 20, item 2): a Keras 3 model would train and save, then fail to load."""

import numpy as np
import pytest

from tfreid.backend import keras
from tfreid.errors import ConfigError
from tfreid.losses import (
    ContrastiveLoss,
    ContrastivePairLoss,
    CrossBatchMemory,
    MultiSimilarityLoss,
    PerMemberLoss,
    ProxyNCALoss,
    TripletLoss,
)

keras3 = pytest.importorskip("keras")  # Keras 3 comes with TensorFlow 2.21
USE_TF_KERAS = ("tfreid uses tf_keras (the Keras 2 API): build it with `from tfreid.backend "
                "import keras` or `import tf_keras as keras`, or import tfreid before TensorFlow")


def keras3_model():
    return keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(4)])


def data():
    return np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32), np.arange(8) % 4


@pytest.mark.parametrize("make_loss", [
    ContrastiveLoss, MultiSimilarityLoss, lambda: TripletLoss(margin=0.5),
    lambda: CrossBatchMemory(MultiSimilarityLoss(), embedding_dim=4, memory_size=8),
    lambda: PerMemberLoss(ContrastiveLoss(), member_dims=[2, 2])])
def test_a_keras3_model_compiled_with_a_tfreid_loss_stops_at_the_first_step(make_loss):
    model, loss = keras3_model(), make_loss()
    model.compile(optimizer="sgd", loss=loss)
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(ConfigError) as raised:
        model.fit(*data(), batch_size=8, epochs=1, verbose=0)
    message = str(raised.value)
    assert message.startswith(f"the loss {type(loss).__name__} is called by a Keras 3 model "
                              "or trainer (keras.src.") and message.endswith(USE_TF_KERAS)
    assert "\n" not in message
    for old, new in zip(before, model.weights, strict=True):  # not one step trained
        np.testing.assert_array_equal(old, new.numpy())


def test_the_same_losses_train_a_tf_keras_model():
    x, y = data()
    for loss in (ContrastiveLoss(), MultiSimilarityLoss()):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
        model.compile(optimizer="sgd", loss=loss)
        assert np.isfinite(model.fit(x, y, batch_size=8, epochs=1, verbose=0)
                           .history["loss"][0])


def test_a_loss_called_through_keras3_code_is_refused_and_checked_once():
    loss = ContrastivePairLoss()
    with pytest.raises(ConfigError, match="is called by a Keras 3 model"):
        keras3.tree.map_structure(lambda _: loss(np.ones(2), np.zeros(2)), [0])
    assert float(loss(np.ones(2), np.zeros(2))) == 0.0  # same-identity pairs at distance 0
    checked = ContrastivePairLoss()
    checked(np.ones(2), np.zeros(2))  # first call from tfreid's test: checked, accepted
    keras3.tree.map_structure(lambda _: checked(np.ones(2), np.zeros(2)), [0])  # not again


def test_tfreid_callbacks_refuse_a_keras3_model_before_the_first_batch(tmp_path):
    from tfreid.callbacks import EpochLogger

    model = keras3_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ConfigError) as raised:
        model.fit(*data(), epochs=1, verbose=0, callbacks=[EpochLogger()])
    assert str(raised.value).startswith("the model given to EpochLogger is a Keras 3 object")


def test_keras3_optimizers_and_objects_are_refused_with_one_line():
    from tfreid.callbacks import CorrelationMonitor
    from tfreid.export import export_saved_model

    model = keras3_model()
    images = np.zeros((2, 3), np.float32)
    trainer = ProxyNCALoss(3, 4).attach(keras.Sequential([keras.Input((3,)),
                                                           keras.layers.Dense(4)]))
    for use in (lambda: ProxyNCALoss(3, 2).attach(model),
                lambda: CorrelationMonitor(model, (images, [0, 1]), (images, [0, 1])),
                lambda: export_saved_model(model, "unused")):
        with pytest.raises(ConfigError, match="is a Keras 3 object .*; tfreid uses tf_keras"):
            use()
    # a Keras 3 optimizer: tf_keras's own compile refuses it, before any step (tfreid does
    # not override compile: tf_keras would then skip compiling a model it loads)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        trainer.compile(keras3.optimizers.Adam(), loss="mse")

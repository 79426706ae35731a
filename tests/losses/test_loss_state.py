"""Losses that own weights (ProxyNCA's proxies, a memory bank) train, save, load and resume
with the model ``attach`` returns; misuse is a clear error."""

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.errors import ConfigError
from tfreid.losses import ContrastiveLoss, CrossBatchMemory, MultiSimilarityLoss, ProxyNCALoss
from tfreid.models import EmbeddingTrainer


def encoder():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)], name="small")


def data():
    return np.random.default_rng(0).normal(size=(9, 3)).astype(np.float32), np.arange(9) % 3


def test_proxies_train_save_load_and_resume(tmp_path):
    loss = ProxyNCALoss(num_classes=3, embedding_dim=4)
    model = loss.attach(encoder())
    assert isinstance(model, EmbeddingTrainer)
    assert any(w is loss.proxies for w in model.trainable_weights)
    before = loss.proxies.numpy().copy()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    x, y = data()
    model.fit(x, y, batch_size=9, epochs=1, verbose=0)
    trained = loss.proxies.numpy().copy()
    assert not np.allclose(trained, before)
    model.save(tmp_path / "trainer.keras")
    loaded = keras.models.load_model(tmp_path / "trainer.keras", compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    resumed_loss = ProxyNCALoss(num_classes=3, embedding_dim=4)
    resumed = resumed_loss.attach(loaded)  # adopts the loaded proxies
    assert resumed is loaded
    np.testing.assert_allclose(resumed_loss.proxies.numpy(), trained)


def test_proxies_are_in_the_training_checkpoint(tmp_path):
    loss = ProxyNCALoss(num_classes=3, embedding_dim=4, seed=1)
    model = loss.attach(encoder())
    path = tf.train.Checkpoint(model=model).write(str(tmp_path / "ckpt"))
    fresh_loss = ProxyNCALoss(num_classes=3, embedding_dim=4, seed=2)
    fresh = fresh_loss.attach(encoder())
    assert not np.allclose(fresh_loss.proxies.numpy(), loss.proxies.numpy())
    tf.train.Checkpoint(model=fresh).read(path).assert_existing_objects_matched()
    np.testing.assert_allclose(fresh_loss.proxies.numpy(), loss.proxies.numpy())


def test_unattached_proxies_are_an_error():
    loss = ProxyNCALoss(num_classes=3, embedding_dim=4)
    model = encoder()
    model.compile(optimizer="sgd", loss=loss)
    x, y = data()
    with pytest.raises(ConfigError, match="call loss.attach"):
        model.fit(x, y, epochs=1, verbose=0)


def test_labels_out_of_range_are_an_error():
    loss = ProxyNCALoss(num_classes=3, embedding_dim=4)
    loss.attach(encoder())
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must lie in \[0, 3\)"):
        loss(np.array([0, 1, 3]), np.ones((3, 4), np.float32))


def test_memory_bank_saves_with_the_model(tmp_path):
    loss = CrossBatchMemory(MultiSimilarityLoss(), embedding_dim=4, memory_size=8)
    model = loss.attach(encoder())
    model.compile(optimizer="adam", loss=loss)
    x, y = data()
    model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    assert int(loss.bank.count.numpy()) == 8
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    again = CrossBatchMemory(MultiSimilarityLoss(), embedding_dim=4, memory_size=8)
    again.attach(loaded)
    np.testing.assert_allclose(again.bank.embeddings.numpy(), loss.bank.embeddings.numpy())


@pytest.mark.parametrize("make_loss, state", [
    (lambda: ProxyNCALoss(num_classes=3, embedding_dim=4), lambda loss: [loss.proxies]),
    (lambda: CrossBatchMemory(ContrastiveLoss(), embedding_dim=4, memory_size=8),
     lambda loss: [loss.bank.embeddings, loss.bank.labels, loss.bank.count,
                   loss.bank.position]),
], ids=["proxy_nca", "cross_batch_memory"])
def test_stateful_loss_models_load_compiled(tmp_path, make_loss, state):
    """``tfreid.load_model`` (compile=True) restores the proxies / bank, and the rebuilt loss
    uses the loaded model's own layer, so training goes on from them."""
    import tfreid

    loss = make_loss()
    model = loss.attach(encoder())
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    x, y = data()
    model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = tfreid.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert type(loaded.loss) is type(loss) and loaded.loss.attached
    own = {id(w) for w in loaded.weights}
    for saved, restored in zip(state(loss), state(loaded.loss), strict=True):
        assert id(restored) in own  # the loss holds the model's variables, not its own
        np.testing.assert_array_equal(restored.numpy(), saved.numpy())
    first = state(loaded.loss)[0]  # the proxies; the bank's embeddings
    before = first.numpy().copy()
    loaded.fit(x, y, batch_size=9, epochs=1, verbose=0)
    assert not np.array_equal(first.numpy(), before)
    uncompiled = keras.models.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(uncompiled.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)

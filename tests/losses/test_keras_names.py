"""Keras finds every tfreid loss by name: its class name, and a batch loss's command-line
name (``catalog.BATCH_LOSSES``); the losses with arguments that have no default say in one
line what to pass; registering the extra names changes nothing that ``serialize`` writes."""

import numpy as np
import pytest

from tfreid.backend import keras
from tfreid.catalog import BATCH_LOSSES
from tfreid.errors import ConfigError, MissingArgumentsError
from tfreid.losses import CrossBatchMemory, MultiSimilarityLoss, PerMemberLoss, ProxyNCALoss

# arguments without a default: ProxyNCA's sizes, and the loss a wrapper wraps
NEEDS_ARGUMENTS = {"ProxyNCALoss": "num_classes", "ProxyAnchorLoss": "num_classes",
                   "ArcFaceLoss": "num_classes", "CosFaceLoss": "num_classes",
                   "CircleSoftmaxLoss": "num_classes", "IdentityLoss": "num_classes",
                   "CenterLoss": "num_classes", "CrossBatchMemory": "loss", "WeightedLoss": "loss",
                   "PerMemberLoss": "loss"}
WRAPPERS = {"CrossBatchMemory", "PerMemberLoss", "WeightedLoss"}


def tfreid_loss_classes():
    """{class name: class} of every loss registered under package tfreid."""
    return {name.split(">", 1)[1]: cls for name, cls in keras.utils.get_custom_objects().items()
            if name.startswith("tfreid>") and isinstance(cls, type)
            and issubclass(cls, keras.losses.Loss)}


def test_the_registered_losses_include_the_known_ones():
    names = set(tfreid_loss_classes())
    assert {"MultiSimilarityLoss", "TripletMarginLoss", "TripletLoss", "SpreadingLoss",
            *NEEDS_ARGUMENTS} <= names


@pytest.mark.parametrize("name", sorted(tfreid_loss_classes()))
def test_keras_losses_get_builds_every_loss_by_class_name(name):
    cls = tfreid_loss_classes()[name]
    if name in NEEDS_ARGUMENTS:
        with pytest.raises(MissingArgumentsError) as caught:
            keras.losses.get(name)
        message = str(caught.value)
        assert "\n" not in message and message.startswith(f"{name} needs ")
        assert NEEDS_ARGUMENTS[name] in message
        if name in WRAPPERS:
            assert "a wrapper" in message
        assert isinstance(caught.value, ConfigError) and isinstance(caught.value, TypeError)
    else:
        assert type(keras.losses.get(name)) is cls


@pytest.mark.parametrize("cls", [ProxyNCALoss, CrossBatchMemory, PerMemberLoss])
def test_a_loss_without_its_arguments_says_what_to_pass(cls):
    with pytest.raises(TypeError, match=f"build it as {cls.__name__}\\("):
        cls()


@pytest.mark.parametrize("name", BATCH_LOSSES.names())
def test_keras_losses_get_takes_the_command_line_names(name):
    cls = BATCH_LOSSES.get(name)
    if cls.__name__ in NEEDS_ARGUMENTS:
        with pytest.raises(MissingArgumentsError, match=cls.__name__):
            keras.losses.get(name)
    else:
        assert type(keras.losses.get(name)) is cls


def test_multi_similarity_by_its_command_line_name():
    assert type(keras.losses.get("multi_similarity")) is MultiSimilarityLoss


def test_compile_with_a_command_line_name_gives_the_loss_of_the_class():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 6)).astype(np.float32)
    y = np.repeat(np.arange(4), 3).astype(np.int64)
    model = keras.Sequential([keras.layers.Dense(
        5, kernel_initializer=keras.initializers.GlorotUniform(seed=1), input_shape=(6,))])
    model.compile(loss="multi_similarity")
    value = model.evaluate(x, y, batch_size=12, verbose=0)
    expected = float(MultiSimilarityLoss()(y, model(x)))
    assert value == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert expected > 0


@pytest.mark.parametrize("name", sorted(set(tfreid_loss_classes()) - set(NEEDS_ARGUMENTS)))
def test_serialize_writes_the_class_names_and_round_trips(name):
    loss = tfreid_loss_classes()[name]()
    written = keras.saving.serialize_keras_object(loss)
    assert written["registered_name"] == f"tfreid>{name}"
    assert written["class_name"] == name
    again = keras.saving.deserialize_keras_object(written)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    legacy = keras.losses.serialize(loss, use_legacy_format=True)
    assert legacy["class_name"] == f"tfreid>{name}"
    assert keras.losses.deserialize(legacy, use_legacy_format=True).get_config() == \
        loss.get_config()


def test_the_command_line_names_are_never_written():
    for name in BATCH_LOSSES.names():
        cls = BATCH_LOSSES.get(name)
        assert keras.saving.get_registered_name(cls) == f"tfreid>{cls.__name__}"


def test_the_wrappers_still_round_trip():
    loss = CrossBatchMemory(MultiSimilarityLoss(), embedding_dim=4, memory_size=8)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert again.get_config() == loss.get_config()
    member = PerMemberLoss(MultiSimilarityLoss(), member_dims=[2, 2])
    again = keras.losses.deserialize(keras.losses.serialize(member))
    assert again.get_config() == member.get_config()
    proxy = ProxyNCALoss(num_classes=3, embedding_dim=4)
    again = keras.losses.deserialize(keras.losses.serialize(proxy))
    assert again.get_config() == proxy.get_config()


def test_class_weight_losses_are_those_built_with_num_classes():
    import inspect

    from tfreid.catalog import CLASS_WEIGHT_LOSSES

    built_with_classes = {name for name in BATCH_LOSSES.names()
                          if "num_classes" in inspect.signature(BATCH_LOSSES.get(name)).parameters}
    assert built_with_classes == set(CLASS_WEIGHT_LOSSES)


@pytest.mark.parametrize("name", BATCH_LOSSES.names())
def test_no_command_line_name_shadows_a_keras_identifier(name):
    # Keras looks every string up in one table of custom objects first: a loss named
    # "identity" would turn kernel_initializer="identity" into a loss
    import tf_keras

    custom = keras.utils.get_custom_objects()
    own = custom.pop(name)
    try:
        for kind in (tf_keras.initializers, tf_keras.activations, tf_keras.constraints,
                     tf_keras.optimizers, tf_keras.losses):  # (metrics, regularizers: no error)
            with pytest.raises(ValueError, match="Unknown|Could not interpret"):
                kind.get(name)
    finally:
        custom[name] = own

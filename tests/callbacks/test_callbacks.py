"""Callbacks: the monitor takes arrays or a tf.data dataset; the plain callbacks round-trip
through Keras serialization; the epoch log prints counts as integers."""

import io
import json

import numpy as np
import pytest

from tfreid.backend import keras
from tfreid.callbacks import (
    BestModelCheckpoint,
    CorrelationMonitor,
    EmbeddingProjector,
    EpochLogger,
    PairImages,
    ResumeTraining,
)
from tfreid.data import load_split, split_dataset
from tfreid.evaluation import evaluate_encoder


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((40, 40, 3)), keras.layers.Rescaling(1 / 255),
                             keras.layers.Flatten(), keras.layers.Dense(6)])


def logged(monitor) -> dict:
    logs = {"loss": 1.0}
    monitor.on_epoch_end(0, logs)
    return logs


def test_monitor_takes_split_arrays_plain_arrays_or_a_dataset(tiny_dataset, encoder):
    query = load_split(tiny_dataset, "query", (40, 40))
    gallery = load_split(tiny_dataset, "gallery", (40, 40))
    expected = evaluate_encoder(encoder, query, gallery)
    forms = [(query, gallery),
             ((query.images, query.identities, query.cameras),
              (gallery.images, gallery.identities, gallery.cameras)),
             (split_dataset(tiny_dataset, "query", (40, 40)),
              split_dataset(tiny_dataset, "gallery", (40, 40)).batch(5))]
    for query_form, gallery_form in forms:
        logs = logged(CorrelationMonitor(encoder, query_form, gallery_form))
        assert logs["val_mAP"] == pytest.approx(expected["mAP"])
        assert logs["val_CF"] == expected["CF"] and logs["val_rank1"] == expected["rank1"]


@pytest.mark.parametrize("callback", [BestModelCheckpoint("x/best", "val_mAP", "max", 3, 0.01),
                                      ResumeTraining("x/resume"), EpochLogger()])
def test_plain_callbacks_round_trip(callback):
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(callback))
    assert type(clone) is type(callback) and clone.get_config() == callback.get_config()


def test_data_callbacks_config_holds_their_settings(encoder):
    # The encoder and the data are left out of get_config; the settings round-trip.
    rng = np.random.default_rng(0)
    split = (rng.integers(0, 255, (4, 40, 40, 3)).astype(np.uint8), np.array([0, 0, 1, 1]),
             np.array([0, 1, 0, 1]))
    pairs = ({"image_a": split[0], "image_b": split[0]}, {"logit": np.array([1, 0, 1, 0])})
    cases = [
        (CorrelationMonitor(encoder, split, split, every_n_epochs=3, metric="cosine",
                            log_dir="logs/v", ranked_queries=2),
         {"every_n_epochs": 3, "metric": "cosine", "log_dir": "logs/v", "ranked_queries": 2},
         lambda config: CorrelationMonitor(encoder, split, split, **config)),
        (PairImages("logs/p", pairs, rows=3), {"log_dir": "logs/p", "rows": 3},
         lambda config: PairImages(pairs=pairs, **config)),
        (EmbeddingProjector(encoder, split, split, "logs/e", every_n_epochs=5),
         {"log_dir": "logs/e", "every_n_epochs": 5},
         lambda config: EmbeddingProjector(encoder, split, split, **config)),
    ]
    for callback, expected, rebuild in cases:
        config = callback.get_config()
        assert config == expected and json.loads(json.dumps(config)) == config
        assert rebuild(config).get_config() == config


def test_epoch_logger_prints_counts_as_integers():
    stream = io.StringIO()
    logger = EpochLogger(stream)
    logger.set_params({"epochs": 5})
    logger.on_epoch_begin(1)
    logger.on_epoch_end(1, {"loss": 0.27701, "val_mAP": 0.65561, "val_CF": 0.0, "CF": 9.0})
    line = stream.getvalue()
    assert line.startswith("epoch 2/5: loss 0.277, CF 9 | val mAP 0.6556, CF 0 (")
    assert "e+00" not in line

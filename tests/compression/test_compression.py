import numpy as np
import pytest

from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import keras
from tfreid.compression.accounting import bytes_per_embedding, compression_ratio, keras_model_bytes
from tfreid.compression.int8_storage import (
    Int8Embeddings,
    encode_int8,
    fit_scales,
    int8_squared_distances,
)
from tfreid.compression.low_rank import low_rank_factorize
from tfreid.compression.quantization import quantize_encoder
from tfreid.compression.selection import dimension_norms, prune_dimensions, sliced_encoder
from tfreid.compression.tflite import to_tflite
from tfreid.errors import ConfigError, DataError
from tfreid.inference import TFLiteModel, embedder_for
from tfreid.losses import TripletMarginLoss
from tfreid.models import pami_cnn, table1_cnn
from tfreid.models.ensemble import build_ensemble

pytestmark = pytest.mark.numeric  # compressed models against the layers they were cut from


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(0)
    return table1_cnn((40, 40, 3), 12, width=0.5)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, (24, 40, 40, 3)).astype(np.float32)


def pairwise(x):
    return np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))


def assert_same_network_output(actual, expected, encoder, extra_layers: int = 0):
    """Equal up to the rounding of ``encoder``'s sums taken in another order (a head with
    other columns, a factorised kernel: ``extra_layers`` more roundings)."""
    terms, layers = network_terms(encoder)
    assert_float32_close(actual, expected, terms, steps=layers + extra_layers)


def test_slicing_keeps_the_first_dims(encoder, images):
    sliced = sliced_encoder(encoder, 5)
    assert sliced.output_shape == (None, 5)
    assert_same_network_output(sliced(images), encoder(images)[:, :5], encoder)
    assert encoder.output_shape == (None, 12)  # the original is untouched


def test_pruning_keeps_the_largest_norm_dims(encoder, images):
    kernel, bias = encoder.layers[-1].get_weights()
    expected = np.sqrt((kernel ** 2).sum(0) + bias ** 2)
    np.testing.assert_allclose(dimension_norms(encoder), expected, rtol=1e-6)
    pruned = prune_dimensions(encoder, 4)
    kept = np.sort(np.argsort(-expected)[:4])
    assert_same_network_output(pruned(images), encoder(images).numpy()[:, kept], encoder)
    assert prune_dimensions(pruned, 2).output_shape == (None, 2)


def test_low_rank_at_full_rank_reproduces_the_embeddings(encoder, images):
    full = low_rank_factorize(encoder, 12, output="full")
    assert_same_network_output(full(images), encoder(images), encoder, extra_layers=1)
    low = low_rank_factorize(encoder, 12, output="low")  # 12-d codes, same distances
    assert_same_network_output(pairwise(low(images).numpy()), pairwise(encoder(images).numpy()),
                               encoder, extra_layers=1)


def test_low_rank_shapes_and_best_approximation(encoder, images):
    low, full = (low_rank_factorize(encoder, 3, output=o) for o in ("low", "full"))
    assert low.output_shape == (None, 3) and full.output_shape == (None, 12)
    assert [layer.output_shape[-1] for layer in full.layers[-2:]] == [3, 12]
    assert_same_network_output(pairwise(low(images).numpy()), pairwise(full(images).numpy()),
                               encoder, extra_layers=1)
    kernel = encoder.layers[-1].get_weights()[0]
    singular = np.linalg.svd(kernel, compute_uv=False)
    rebuilt = full.layers[-2].get_weights()[0] @ full.layers[-1].get_weights()[0]
    assert np.linalg.norm(kernel - rebuilt, 2) == pytest.approx(singular[3], rel=1e-4)
    with pytest.raises(ConfigError, match="rank must lie"):
        low_rank_factorize(encoder, 13)


def test_heads_that_cannot_be_compressed():
    with pytest.raises(ConfigError, match="linear Dense embedding"):
        sliced_encoder(pami_cnn((28, 28, 3)), 8)
    ensemble = build_ensemble([table1_cnn((40, 40, 3), 4, name=f"m{i}") for i in range(2)])
    with pytest.raises(ConfigError):
        prune_dimensions(ensemble, 2)
    with pytest.raises(ConfigError, match="flat encoder"):
        quantize_encoder(ensemble)


def test_int8_storage_round_trip_and_search_on_codes():
    rng = np.random.default_rng(1)
    gallery = rng.normal(size=(50, 6)).astype(np.float32) * [1, 2, 5, 0.1, 3, 0]
    scales = fit_scales(gallery)
    assert scales[-1] == 1.0  # an all-zero dimension
    codes = encode_int8(gallery, scales)
    assert codes.codes.dtype == np.int8 and codes.nbytes == 50 * 6 + 6 * 4
    assert np.all(np.abs(codes.decode() - gallery) <= scales / 2 + 1e-7)
    queries = encode_int8(rng.normal(size=(7, 6)).astype(np.float32) * 9, scales)
    assert np.abs(queries.codes.astype(int)).max() == 127  # out of range: clipped
    decoded_q, decoded_g = queries.decode().astype(np.float64), codes.decode().astype(np.float64)
    expected = ((decoded_q[:, None] - decoded_g[None]) ** 2).sum(-1)
    np.testing.assert_allclose(int8_squared_distances(queries, codes), expected, rtol=1e-6)
    with pytest.raises(DataError, match="share their scales"):
        int8_squared_distances(queries, Int8Embeddings(codes.codes, scales * 2))


def test_bytes_accounting(encoder):
    assert bytes_per_embedding(768, "float32") == 3072 and bytes_per_embedding(32, "int8") == 32
    assert compression_ratio(3072, 32) == 96.0
    small, large = keras_model_bytes(encoder), keras_model_bytes(table1_cnn((40, 40, 3), 12))
    assert 0 < small < large


@pytest.fixture(scope="module")
def qat_model(encoder, images):
    model = quantize_encoder(encoder, "all", calibration_images=images)
    model.compile(keras.optimizers.Adam(1e-3), loss=TripletMarginLoss())
    history = model.fit(images, np.arange(24) % 6, batch_size=24, epochs=2, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    return model


@pytest.mark.slow
def test_qat_model_trains_and_tflite_int8_matches_it(qat_model, images):
    model = TFLiteModel(to_tflite(qat_model, "int8"))
    assert model.input_dtype == np.int8
    step = model.output_step
    got = embedder_for(model).embed(images.astype(np.uint8), batch_size=10)
    expected = qat_model(images, training=False).numpy()
    assert got.shape == (24, 12)
    # int8 arithmetic rounds differently from fake quantization: at most a few output steps
    assert np.abs(got - expected).max() <= 4 * step


@pytest.mark.slow
def test_tflite_float_io_and_head_only_qat(encoder, images, qat_model):
    float_model = TFLiteModel(to_tflite(qat_model, "float"))
    assert float_model.input_dtype == np.float32
    float_io = embedder_for(float_model)
    expected = qat_model(images, training=False).numpy()
    assert np.abs(float_io.embed(images.astype(np.uint8)) - expected).max() <= 0.02 * np.abs(
        expected).max()
    head = quantize_encoder(encoder, "head", calibration_images=images)
    quantized = [layer.name for layer in head.layers if layer.name.startswith("quant_")]
    assert quantized and quantized[-1] == "quant_embedding"
    assert not any("conv" in name or "block" in name for name in quantized)  # backbone float
    with pytest.raises(ConfigError, match="whole-encoder QAT"):
        to_tflite(head, "int8")
    with pytest.raises(DataError, match="images of 32x32 px given to a model of 40x40 px"):
        float_io.embed(np.zeros((2, 32, 32, 3), np.uint8))

import numpy as np
import pytest

from tfreid.backend import keras, tf
from tfreid.data.pairs import pair_dataset
from tfreid.errors import ConfigError
from tfreid.losses import BinaryVerificationPairLoss, ContrastivePairLoss
from tfreid.models import build_encoder, build_siamese, table1_cnn
from tfreid.models.table1_cnn import TABLE1_ACTIVATIONS
from tfreid.nn.distances import safe_sqrt


def test_table1_layers_follow_the_paper():
    model = table1_cnn((64, 64, 3), embedding_dim=100)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [c.filters for c in convs] == [16] * 6 and all(c.kernel_size == (3, 3) for c in convs)
    assert [d.units for d in dense] == [128, 128, 128, 100]
    assert dense[-1].activation is keras.activations.linear
    # valid 3x3 convs and 2x2 pools: 64 -> 60 -> 30 -> 26 -> 13 -> 9 -> 4
    assert model.get_layer("flatten").output_shape == (None, 4 * 4 * 16)


def test_table1_width_downscale_and_activation():
    model = table1_cnn((256, 256, 3), embedding_dim=33, width=2, downscale=4, activation="elu")
    assert model.get_layer("downscale").output_shape == (None, 64, 64, 3)
    assert model.get_layer("block1_conv1").filters == 32
    assert model.get_layer("dense1").units == 256
    assert model.get_layer("dense1").activation is keras.activations.elu
    assert model(np.zeros((2, 256, 256, 3), np.uint8)).shape == (2, 33)


def test_siamese_base_and_unknown_backbone():
    encoder = build_encoder("siamese_base", (32, 32), 16)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in encoder.layers) == 4
    assert encoder(np.zeros((3, 32, 32, 3))).shape == (3, 16)
    with pytest.raises(ConfigError, match="unknown backbone 'resnet'"):
        build_encoder("resnet", (32, 32), 16)


def test_siamese_shares_one_encoder():
    encoder = build_encoder("table1", (40, 40), 8)
    siamese = build_siamese(encoder, merge_head=True)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (4, 40, 40, 3)).astype(np.float32)
    b = rng.integers(0, 255, (4, 40, 40, 3)).astype(np.float32)
    outputs = siamese({"image_a": a, "image_b": b})
    expected = np.linalg.norm(encoder(a).numpy() - encoder(b).numpy(), axis=1)
    np.testing.assert_allclose(outputs["distance"].numpy(), expected, rtol=1e-5)
    assert outputs["logit"].shape == (4,)
    assert len(siamese.trainable_weights) == len(encoder.trainable_weights) + 2


@pytest.mark.slow
@pytest.mark.parametrize("backbone", ["table1", "siamese_base"])
def test_xla_compiled_train_step_on_cpu(backbone):
    keras.utils.set_random_seed(0)
    encoder = build_encoder(backbone, (40, 40), 8)
    siamese = build_siamese(encoder, merge_head=True)
    siamese.compile(keras.optimizers.Adam(1e-3),
                    loss={"distance": ContrastivePairLoss(), "logit": BinaryVerificationPairLoss()},
                    jit_compile=True)
    ids = np.repeat(np.arange(4), 3)
    images = np.random.default_rng(0).integers(0, 255, (12, 40, 40, 3), dtype=np.uint8)
    data = pair_dataset(images, ids, 8, seed=0, targets=("distance", "logit"))
    before = [w.numpy().copy() for w in encoder.trainable_weights]
    history = siamese.fit(data, steps_per_epoch=2, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    after = [w.numpy() for w in encoder.trainable_weights]
    assert any(not np.allclose(b, a) for b, a in zip(before, after, strict=True))
    assert siamese.jit_compile is True


def test_xla_compiles_the_contrastive_loss_alone():
    @tf.function(jit_compile=True)
    def loss_and_gradient(embedding):
        with tf.GradientTape() as tape:
            tape.watch(embedding)
            distance = safe_sqrt(tf.reduce_sum(tf.square(embedding), -1))
            value = ContrastivePairLoss()(tf.constant([1.0, 0.0]), distance)
        return value, tape.gradient(value, embedding)

    value, gradient = loss_and_gradient(tf.zeros((2, 3)))
    assert np.isfinite(gradient.numpy()).all() and value.numpy() == pytest.approx(0.5, abs=1e-5)


@pytest.mark.parametrize("activation", TABLE1_ACTIVATIONS)
def test_table1_builds_with_each_offered_activation(activation):
    model = table1_cnn((40, 40, 3), embedding_dim=4, activation=activation)
    assert np.isfinite(model(np.full((1, 40, 40, 3), 128.0)).numpy()).all()
    hidden = [layer for layer in model.layers if layer.name.startswith(("block", "dense"))
              and hasattr(layer, "activation")]
    x = tf.constant([[-2.0, -0.5, 0.0, 1.5]])
    expected = keras.activations.get(activation)(x).numpy()
    for layer in hidden:  # every hidden layer applies the chosen function
        np.testing.assert_allclose(layer.activation(x).numpy(), expected, rtol=1e-6)


def test_the_old_homes_of_distances_and_the_trainer_still_import():
    import tfreid.losses
    import tfreid.losses.distances
    import tfreid.models
    import tfreid.models.embedding_trainer
    import tfreid.nn

    assert tfreid.losses.LpDistance is tfreid.losses.distances.LpDistance is tfreid.nn.LpDistance
    assert tfreid.losses.distances.safe_sqrt is safe_sqrt
    assert tfreid.models.EmbeddingTrainer is tfreid.models.embedding_trainer.EmbeddingTrainer \
        is tfreid.nn.EmbeddingTrainer

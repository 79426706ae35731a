"""Paper 000's triplet training, the batch losses on P x K batches, and ensembles."""

import numpy as np
import pytest

from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import tf
from tfreid.cli.train_triplet import config_from_args, ensemble_main
from tfreid.losses import PerMemberLoss, TripletMarginLoss
from tfreid.models import build_encoder
from tfreid.models.ensemble import build_ensemble
from tfreid.training import RunConfig, load_run, train


def tiny(tmp_path, dataset, method="triplet", **overrides):
    settings = dict(dataset=str(dataset), epochs=2, batch_size=32, image_size=40,
                    embedding_dim=12, run_name="t", logdir=str(tmp_path / "logs"),
                    export=str(tmp_path / "export"), save_export=False)
    settings.update({"num_triplets": 96} if method == "triplet" else {"steps_per_epoch": 3})
    return RunConfig.for_method(method, **{**settings, **overrides})


@pytest.mark.parametrize("mining", ["random", "all", "hard", "semihard"])
def test_train_triplet_command_maps_to_methods(mining):
    config = config_from_args(["--mining", mining, "--num-triplets", "1000", "--squared"])
    if mining == "random":
        assert config.method == "triplet" and config.options["squared"] is True
    else:
        assert config.method == "batch" and config.options["loss"] == "triplet_margin"
        assert config.options["miner"] == mining
        assert config.options["distance"] == "squared_euclidean"
        assert config.options["steps_per_epoch"] == 8  # 1,000 triplets / batch 128


@pytest.mark.slow
@pytest.mark.parametrize("method, options", [("triplet", {}), ("batch", {"miner": "hard"}),
                                             ("batch", {"miner": "semihard"})])
def test_triplet_training_end_to_end(tmp_path, tiny_dataset, method, options):
    results = train(tiny(tmp_path, tiny_dataset, method, save_export=True, **options),
                    verbose=0)
    assert len(results["history"]["val_mAC"]) == 2 and np.isfinite(results["history"]["loss"]).all()
    serve = tf.saved_model.load(str(tmp_path / "export")).signatures["serving_default"]
    assert serve(images=tf.zeros([2, 50, 50, 3], tf.uint8))["embeddings"].shape == (2, 12)


def test_member_dims():
    assert RunConfig(members=3).member_dims() == [33, 33, 33]
    assert RunConfig(members=4, member_dim=25).member_dims() == [25] * 4


def test_ensemble_members_are_independent():
    members = [build_encoder("table1", (40, 40), 5, name=f"member{i}") for i in range(3)]
    ensemble = build_ensemble(members)
    assert ensemble.output_shape == (None, 15)
    weights = [{id(w) for w in m.weights} for m in members]
    assert not (weights[0] & weights[1]) and not (weights[1] & weights[2])
    images = np.random.default_rng(0).integers(0, 255, (4, 40, 40, 3)).astype(np.float32)
    assert_float32_close(ensemble(images).numpy()[:, 5:10], members[1](images).numpy(),
                         *network_terms(members[1]))
    # Side by side: the loss of member 0's slice gives no gradient to member 1's weights.
    labels = tf.constant([0, 0, 1, 1])
    with tf.GradientTape() as tape:
        loss = TripletMarginLoss()(labels, ensemble(images)[:, :5])
    gradients = tape.gradient(loss, members[1].trainable_weights)
    assert all(g is None or not np.any(g.numpy()) for g in gradients)
    with tf.GradientTape() as tape:
        total = PerMemberLoss(TripletMarginLoss(), [5, 5, 5])(labels, ensemble(images))
    assert all(np.any(g.numpy()) for g in tape.gradient(total, members[2].trainable_weights))


@pytest.mark.slow
def test_ensemble_trained_in_turn_is_one_model(tmp_path, tiny_dataset):
    config = tiny(tmp_path, tiny_dataset, members=3, embedding_dim=10, epochs=1,
                  save_export=True)
    results = train(config, verbose=0)
    assert {"member0_loss", "member1_loss", "member2_loss"} <= set(results["history"])
    assert len(results["best"]) == 3
    for index in range(3):
        assert (tmp_path / "logs" / f"member{index}").is_dir()
    serve = tf.saved_model.load(str(tmp_path / "export")).signatures["serving_default"]
    assert serve(images=tf.zeros([1, 40, 40, 3], tf.uint8))["embeddings"].shape == (1, 9)


@pytest.mark.slow
def test_ensemble_side_by_side_with_a_batch_loss(tmp_path, tiny_dataset):
    config = tiny(tmp_path, tiny_dataset, "batch", members=2, embedding_dim=8, epochs=1,
                  side_by_side=True)
    results = train(config, verbose=0)
    encoder, _, _ = load_run(tmp_path / "logs")
    assert encoder.output_shape == (None, 8) and len(results["best"]) == 1


def test_ensemble_cli_defaults_to_three_members(tmp_path, capsys):
    config = config_from_args([], members=3)
    assert config.members == 3 and config.member_dims() == [33, 33, 33]
    assert config.epochs == 100 and config.patience == 10 and config.batch_size == 128
    assert ensemble_main(["--mining", "semihard", "--samples-per-identity", "1",
                          "--dataset", str(tmp_path / "none")]) == 2


def test_lonely_identities_are_skipped_with_a_warning():
    from tfreid.data.reader import SplitArrays
    from tfreid.training.run_data import drop_lonely_identities

    ids = np.array([1, 1, 2, 3, 3, 3, 4])
    data = SplitArrays(np.zeros((7, 1, 1, 3), np.uint8), ids, np.zeros(7, int),
                       np.array(["f"] * 7))
    with pytest.warns(UserWarning, match="skipping 2 identities with one image .*first: 2"):
        kept = drop_lonely_identities(data, "train")
    np.testing.assert_array_equal(kept.identities, [1, 1, 3, 3, 3])


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["multi_similarity", "proxy_nca", "contrastive", "circle",
                                  "arcface"])
def test_training_with_a_batch_loss(tmp_path, tiny_dataset, loss):
    results = train(tiny(tmp_path, tiny_dataset, "batch", loss=loss, epochs=1), verbose=0)
    assert results["run"] == "t" and np.isfinite(results["history"]["loss"]).all()
    encoder, config, _ = load_run(tmp_path / "logs")
    assert config.options["loss"] == loss and encoder.output_shape == (None, 12)
    assert len(encoder.weights) == len(build_encoder("table1", (40, 40), 12).weights)


@pytest.mark.slow
def test_cross_batch_memory_trains_and_the_encoder_stays_plain(tmp_path, tiny_dataset):
    train(tiny(tmp_path, tiny_dataset, "batch", loss="multi_similarity", memory_size=64,
               epochs=2), verbose=0)
    encoder, config, _ = load_run(tmp_path / "logs")
    assert config.options["memory_size"] == 64 and encoder.output_shape == (None, 12)

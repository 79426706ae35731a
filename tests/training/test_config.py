"""RunConfig's backbone options: by name in replace / for_method / setting, checked
against the backbone's Options, and read back from results.json written before them."""

from dataclasses import asdict

import pytest

from tfreid.errors import ConfigError
from tfreid.models.applications import ResNet50Options
from tfreid.training.config import RunConfig

# a results.json "config" as tfreid wrote it before backbone_options (to_dict() of then)
WRITTEN_BEFORE = {
    "method": "triplet", "dataset": None, "backbone": "table1", "backbone_weights": None,
    "activation": "elu", "width": 0.5, "downscale": 2, "epochs": 100, "batch_size": 128,
    "lr": 0.001, "optimizer": "adam", "image_size": [128, 96], "embedding_dim": 100,
    "seed": 0, "logdir": None, "export": None, "save_export": True, "xla": None,
    "validation_fraction": 0.2, "patience": 10, "monitor_every": 1, "projector_every": 0,
    "folds": 1, "fold": 0, "run_name": None, "overwrite": False, "members": 1,
    "member_dim": None, "side_by_side": False, "initial_weights": None, "input": "auto",
    "strategy": "auto", "precision": "float32", "cross_replica": True,
    "sync_batch_norm": False, "options": {"num_triplets": 1500},
}


def test_a_config_written_before_backbone_options_loads_with_the_same_backbone():
    config = RunConfig.from_dict(WRITTEN_BEFORE)
    config.check()
    assert config.backbone == "table1" and config.image_size == (128, 96)
    # what build_encoder was given for it then: activation, width, downscale (and the
    # neck added since, at its default: the same encoder)
    assert config.encoder_options() == {"activation": "elu", "width": 0.5, "downscale": 2,
                                        "neck": "none"}
    assert config.options == {"num_triplets": 1500}
    assert RunConfig.from_dict(config.to_dict()) == config


def test_an_application_backbone_written_before_keeps_its_weights_file():
    settings = {**WRITTEN_BEFORE, "backbone": "resnet50", "backbone_weights": "w.h5"}
    config = RunConfig.from_dict(settings)
    assert config.encoder_options() == {**asdict(ResNet50Options()), "weights": "w.h5"}
    settings = {**WRITTEN_BEFORE, "backbone": "pami"}
    assert RunConfig.from_dict(settings).encoder_options() == {}


def test_backbone_options_by_name_as_shared_fields_are():
    config = RunConfig.for_method("triplet", downscale=3, width=2.0, image_size=256,
                                  num_triplets=100)
    assert config.backbone_options == {"activation": "relu", "downscale": 3, "width": 2.0,
                                       "neck": "none"}
    assert RunConfig(backbone_options={"width": 2.0}) == RunConfig(
        backbone_options={"width": 2.0, "activation": "relu", "downscale": 1})
    assert config.options == {"num_triplets": 100}
    assert (config.setting("downscale"), config.setting("activation")) == (3, "relu")
    assert config.replace(downscale=4).setting("downscale") == 4
    apps = config.replace(backbone="resnet50", backbone_weights="w.h5")
    assert apps.backbone_options == {**asdict(ResNet50Options()), "weights": "w.h5"}  # not table1
    assert apps.setting("backbone_weights") == "w.h5"


@pytest.mark.parametrize("settings, message", [
    ({"backbone_options": {"downscale": 0}}, "option downscale must be >= 1"),
    ({"backbone_options": {"width": 0.0}}, "width must be finite, above 0"),
    ({"backbone_options": {"width": float("nan")}}, "width must be"),
    ({"backbone_options": {"activation": "swish"}}, "option activation must be one of relu"),
    ({"image_size": 70, "backbone_options": {"downscale": 2}}, "at least 36 px"),
    ({"backbone": "pami", "backbone_options": {"width": 2.0}},
     "backbone 'pami' has no option 'width'; its options are none"),
    ({"backbone": "vit"}, "unknown backbone 'vit'; choose from table1"),
])
def test_backbone_options_are_checked_against_the_backbone(settings, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        RunConfig(**settings).check()


def test_a_run_file_written_before_is_the_same_run_as_its_config_today():
    from tfreid.training.run_folder import same_settings, settings_of

    today = settings_of(RunConfig.from_dict(WRITTEN_BEFORE).to_dict())
    assert same_settings(settings_of(WRITTEN_BEFORE), today)
    assert not same_settings(settings_of({**WRITTEN_BEFORE, "width": 2.0}), today)


def test_old_distance_names_load_as_today_s():
    from tfreid.catalog import DISTANCES

    old = {**WRITTEN_BEFORE, "method": "batch",
           "options": {"loss": "triplet_margin", "distance": "squared_l2"}}
    config = RunConfig.from_dict(old)
    assert config.options["distance"] == "squared_euclidean"
    assert RunConfig.from_dict({**old, "options": {"loss": "triplet"}}).options == {
        "loss": "triplet_margin"}
    assert DISTANCES.check("l2") == "euclidean" and "sqeuclidean" in DISTANCES
    assert DISTANCES.get("squared_l2") is DISTANCES.get("squared_euclidean")
    assert DISTANCES.names() == ("euclidean", "squared_euclidean", "cosine", "dot")


def test_a_recipe_on_another_backbone_drops_the_recipe_s_backbone_options():
    # the BoT recipe's ResNet-only last stride is not taken for a method option on table1
    config = RunConfig.for_method("classification", recipe="bot", backbone="table1")
    config.check()
    assert "last_stride" not in config.options and config.backbone_options["neck"] == "bnneck"
    assert RunConfig.for_method("classification", recipe="bot").backbone_options[
        "last_stride"] == 1

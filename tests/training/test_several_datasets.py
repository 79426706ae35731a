"""Training on several datasets at once (identities kept apart) and testing a run on other
datasets at its end (the cross-domain protocol)."""

import argparse

import numpy as np
import pytest

from tests.data.test_benchmark_importers import imported_through_command, vehicleid_layout
from tfreid.cli.common import add_run_arguments, config_from_args
from tfreid.data import Dataset, load_split
from tfreid.data.default import make_surfaces
from tfreid.data.split import Split
from tfreid.data.surfaces import SurfaceConfig
from tfreid.errors import DataError
from tfreid.evaluation import held_out_scores
from tfreid.evaluation.protocol import evaluate_model
from tfreid.training import RunConfig, load_run, train
from tfreid.training.legacy_settings import upgrade_settings
from tfreid.training.report import format_results
from tfreid.training.run_data import join_training_splits

OTHER_SURFACES = SurfaceConfig(num_identities=10, views_per_identity=3, image_size=96,
                               test_fraction=0.4, seed=11)


@pytest.fixture(scope="module")
def other_dataset(tmp_path_factory):
    """A second surface set: 6 train identities, 4 held out (other surfaces, other seed)."""
    out = tmp_path_factory.mktemp("data") / "other"
    make_surfaces(out, OTHER_SURFACES)
    return out


def split_of(identities, cameras):
    n = len(identities)
    return Split(np.zeros((n, 4, 4, 3), np.uint8), np.asarray(identities, np.int64),
                 np.asarray(cameras, np.int64), np.array([f"f{i}" for i in range(n)]))


def test_joined_training_splits_keep_each_dataset_s_identities_and_cameras_apart():
    first = split_of([0, 0, 3, 3], [1, 2, 1, 2])
    second = split_of([0, 0, 5, 5], [0, 1, 0, 1])
    third = split_of([2, 2], [0, -1])
    joined = join_training_splits([first, second, third])
    # the second's shift past the first's largest identity (3) and camera (2), the third's
    # past the shifted second's (4 + 5 = 9, 3 + 1 = 4); an unknown camera (-1) stays so
    assert joined.identities.tolist() == [0, 0, 3, 3, 4, 4, 9, 9, 12, 12]
    assert joined.cameras.tolist() == [1, 2, 1, 2, 3, 4, 3, 4, 5, -1]
    assert joined.filenames.tolist() == [*first.filenames, *second.filenames,
                                         *third.filenames]
    assert len(np.unique(joined.identities)) == 2 + 2 + 1


def test_the_command_line_and_older_runs_name_the_datasets():
    parser = argparse.ArgumentParser()
    add_run_arguments(parser, RunConfig())
    config = config_from_args(parser, "siamese", ["--dataset", "a", "--train-datasets", "b",
                                                  "c", "--test-datasets", "d"])
    assert (config.dataset, config.train_datasets, config.test_datasets) == \
        ("a", ["b", "c"], ["d"])
    assert config_from_args(parser, "siamese", []).train_datasets == []
    before = {k: v for k, v in RunConfig().to_dict().items()
              if k not in ("train_datasets", "test_datasets")}
    assert upgrade_settings(before) == upgrade_settings(RunConfig().to_dict())
    with pytest.raises(Exception, match="without folds"):
        RunConfig(train_datasets=["b"], folds=3).check()


def tiny_run(tmp_path, dataset, **settings):
    config = RunConfig.for_method(
        "batch", dataset=str(dataset), epochs=1, steps_per_epoch=2, batch_size=8,
        image_size=40, embedding_dim=8, run_name="t", logdir=str(tmp_path / "logs"),
        save_export=False, loss="multi_similarity", **settings)
    return train(config, verbose=0)


@pytest.mark.slow
def test_a_run_trains_on_two_datasets_and_is_scored_on_a_third(tmp_path, tiny_dataset,
                                                               other_dataset):
    results = tiny_run(tmp_path, tiny_dataset, train_datasets=[str(other_dataset)],
                       test_datasets=[str(other_dataset)])
    # 10 + 6 training identities, apart: some held out for validation, the rest trained on
    own = len(np.unique(load_split(tiny_dataset, "train", (40, 40)).identities))
    other = len(np.unique(load_split(other_dataset, "train", (40, 40)).identities))
    assert (own, other) == (10, 6)
    assert results["train_identities"] + len(results["validation_identities"]) == 16
    # the test is the first dataset's; the other dataset's report equals its held-out score
    # by the saved encoder, recomputed here (other batches: float tolerance)
    assert results["test"]["num_queries"] == 4
    [report] = results["test_datasets"]
    assert report["dataset"] == str(other_dataset) and report["queries"] == 4
    encoder = load_run(results["logdir"])[0]
    query, gallery = (load_split(other_dataset, split, (40, 40))
                      for split in ("query", "gallery"))
    expected = held_out_scores(encoder, query, gallery, results["metric"])
    assert report["mAP"] == pytest.approx(expected["mAP"], abs=1e-6)
    assert report["rank1"] == pytest.approx(expected["rank1"], abs=1e-6)
    assert f"also tested on {other_dataset}" in format_results(results)
    assert load_run(results["logdir"])[2]["test_datasets"] == results["test_datasets"]


def test_a_missing_test_dataset_stops_the_run_before_training(tmp_path, tiny_dataset):
    with pytest.raises(DataError, match="nowhere"):
        tiny_run(tmp_path, tiny_dataset, test_datasets=[str(tmp_path / "nowhere")])
    assert not (tmp_path / "logs" / "t").exists()


@pytest.mark.slow
def test_vehicleid_trains_beside_a_dataset_and_is_scored_over_its_draws(tmp_path, tiny_dataset):
    vehicles = tmp_path / "vehicleid"
    imported_through_command(vehicleid_layout(tmp_path / "VehicleID"), vehicles, "vehicleid",
                             "--test-size", "800")
    results = tiny_run(tmp_path, tiny_dataset, train_datasets=[str(vehicles)],
                       test_datasets=[str(vehicles)])
    # 10 surface identities and VehicleID's 2 training vehicles, apart
    assert results["train_identities"] + len(results["validation_identities"]) == 12
    [report] = results["test_datasets"]
    assert (report["draws"], report["queries"], report["gallery"]) == (10, 3, 3)
    again = evaluate_model(load_run(results["logdir"])[0], Dataset.open(vehicles),
                           metric=results["metric"], progress=False)
    assert report["mAP"] == pytest.approx(again["mAP"], abs=1e-6)
    with pytest.raises(DataError, match="query"):
        tiny_run(tmp_path / "alone", vehicles)

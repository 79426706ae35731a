"""What users wrote with tfreid before issue 19 (commit 692cef5: datasets, a finished run,
its export, an index, the run file of a run killed in training) still loads, resumes and
gives the numbers it gave then. The files are in tests/fixtures/written_by_692cef5,
written by tests/fixtures/make_written_by_692cef5.py with that commit's code."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.tolerances import float32_tolerance, network_terms
from tfreid.data import Dataset
from tfreid.inference.embedder import embedder_for
from tfreid.retrieval.index import EmbeddingIndex
from tfreid.training.config import RunConfig
from tfreid.training.report import format_results
from tfreid.training.run_folder import resumable_runs, settings_of
from tfreid.training.saved_run import load_run

OLD = Path(__file__).resolve().parent / "fixtures" / "written_by_692cef5"


@pytest.fixture(scope="module")
def gallery():
    return Dataset(OLD / "dataset").split("gallery", (40, 40), "memory")


def test_an_old_dataset_opens_and_streams_the_pixels_it_holds_in_memory(gallery):
    dataset = Dataset(OLD / "dataset")
    assert set(dataset.split_names) == {"train", "query", "gallery"}
    streamed = dataset.split("gallery", (40, 40), "stream")
    np.testing.assert_array_equal(np.concatenate(list(streamed.images.batches(3))),
                                  np.asarray(gallery.images))
    np.testing.assert_array_equal(streamed.identities, gallery.identities)
    assert len(gallery) == json.loads((OLD / "dataset" / "manifest.json").read_text())[
        "splits"]["gallery"]["num_images"]


def test_an_old_finished_run_loads_with_its_backbone_settings_and_scores():
    encoder, config, results = load_run(OLD / "run")
    saved = json.loads((OLD / "run" / "results.json").read_text())
    assert config.backbone == "table1" and config.encoder_options()["width"] == 0.25
    assert config.method == "siamese" and config.options["loss"] == "contrastive"
    assert results["test"]["mAP"] == saved["test"]["mAP"] and results["test"].mAP == \
        saved["test"]["mAP"]
    assert "minp" not in results["test"]  # not measured then: the report leaves it out
    report = format_results(results)
    assert f"{saved['test']['mAP']:.3f}" in report and "mINP" not in report
    assert encoder.output_shape == (None, 8)


def test_an_old_export_embeds_as_its_run_s_encoder_and_searches_its_old_index(gallery):
    encoder, _, _ = load_run(OLD / "run")
    exported = embedder_for(OLD / "export").embed(gallery.images)
    keras_embeddings = embedder_for(encoder).embed(gallery.images)
    # the same weights in two graphs (tests/tolerances.py: one evaluation of the network)
    terms, layers = network_terms(encoder)
    tolerance = float32_tolerance(np.abs(exported).max(), terms, steps=layers)
    np.testing.assert_allclose(exported, keras_embeddings, rtol=0, atol=tolerance)
    index = EmbeddingIndex.load(OLD / "index")
    assert (len(index), index.metric) == (len(gallery), "euclidean")
    found = index.search(exported, k=1)
    np.testing.assert_array_equal(found.indices[:, 0], np.arange(len(gallery)))
    np.testing.assert_array_equal(found.identities[:, 0], gallery.identities.astype(str))


def test_a_run_killed_before_the_new_names_resumes_under_them(tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(OLD / "unfinished" / "logs", logs)
    written = json.loads((OLD / "unfinished" / "config.json").read_text())
    assert written["width"] == 0.5 and written["options"]["distance"] == "squared_l2"
    config = RunConfig.for_method("batch", loss="triplet_margin", distance="squared_euclidean",
                                  width=0.5, activation="elu", epochs=3)
    assert RunConfig.from_dict(written).to_dict() == config.to_dict()
    assert resumable_runs(logs, "batch", settings_of(config.to_dict())) == [logs / "batch-0"]
    other = config.replace(width=0.25)
    assert resumable_runs(logs, "batch", settings_of(other.to_dict())) == []

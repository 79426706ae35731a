"""tfreid evaluate as benchmarks are scored: several datasets in one command, re-ranking and
query expansion beside the plain ranking, and each dataset's recorded protocol (camera
rule off, VehicleID's random gallery draws) applied without being named."""

import json

import numpy as np
import pytest

from tfreid.backend import keras
from tfreid.cli.main import main
from tfreid.data import load_split
from tfreid.data.class_datasets import array_records
from tfreid.data.protocols import random_gallery_draws
from tfreid.data.writer import write_dataset
from tfreid.evaluation import score_held_out
from tfreid.evaluation.embedding import EvaluationSplit
from tfreid.evaluation.test_time import RankingOptions, ranking_scores
from tfreid.export.embedding import embed_with_export
from tfreid.export.saved_model import export_saved_model
from tfreid.models import table1_cnn

SIZE = (40, 40)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    keras.utils.set_random_seed(4)
    path = tmp_path_factory.mktemp("export") / "model"
    export_saved_model(table1_cnn((*SIZE, 3), 8, width=0.5), path)
    return path


def held_out(dataset):
    return load_split(dataset, "query", SIZE), load_split(dataset, "gallery", SIZE)


def with_protocol(tiny_dataset, out, protocol, splits=None):
    """The tiny dataset's query and gallery images written again, with ``protocol``."""
    query, gallery = held_out(tiny_dataset)
    if splits is None:
        splits = {"query": array_records(np.asarray(query.images), query.identities, "query"),
                  "gallery": array_records(np.asarray(gallery.images), gallery.identities,
                                           "gallery")}
    write_dataset(out, splits, name=out.name, source="test", extra={"protocol": protocol})
    return out


def test_several_datasets_with_reranking_and_qe_one_row_each(tmp_path, export, tiny_dataset,
                                                             capsys):
    other = with_protocol(tiny_dataset, tmp_path / "no-cameras",
                          {"name": "no-cameras", "camera_rule": False})
    out = tmp_path / "report.json"
    assert main(["evaluate", str(export), "--dataset", str(tiny_dataset), "--dataset",
                 str(other), "--rerank", "--k1", "4", "--k2", "2", "--qe", "2",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    reports = json.loads(out.read_text())
    assert [r["dataset"] for r in reports] == [str(tiny_dataset), str(other)]
    options = RankingOptions(rerank=True, k1=4, k2=2, qe_k=2)
    for report, dataset, cameras in zip(reports, (tiny_dataset, other), (True, False),
                                        strict=True):
        query, gallery = held_out(dataset)
        q, g = (embed_with_export(export, s.images) for s in (query, gallery))
        q_cams, g_cams = (query.cameras, gallery.cameras) if cameras else (None, None)
        plain = score_held_out(q, EvaluationSplit(None, query.identities, q_cams), g,
                               EvaluationSplit(None, gallery.identities, g_cams))
        after = ranking_scores(q, query.identities, q_cams, g, gallery.identities, g_cams,
                               "euclidean", options)
        for key in ("rank1", "mAP", "minp"):
            assert report[key] == pytest.approx(plain[key], abs=1e-6), key
            assert report["test_time"][key] == pytest.approx(after[key], abs=1e-6), key
    assert reports[1]["protocol"] == "no-cameras"
    assert "| dataset | protocol | rank-1 | mAP | mINP | rank-1 | mAP | mINP |" in printed
    assert "(right: QE k=2 a=3 + re-ranking k1=4 k2=2 l=0.3)" in printed


def test_vehicleid_draws_are_scored_and_averaged(tmp_path, export, tiny_dataset, capsys):
    query, gallery = held_out(tiny_dataset)
    images = np.concatenate([np.asarray(query.images), np.asarray(gallery.images)])
    identities = np.concatenate([query.identities, gallery.identities])
    protocol = {"name": "vehicleid", "gallery_per_identity": 1, "draws": 3, "seed": 5,
                "camera_rule": False, "split": "test"}
    dataset = with_protocol(tiny_dataset, tmp_path / "vehicles", protocol, {
        "train": array_records(images[:4], identities[:4], "train"),
        "test": array_records(images, identities, "test")})
    out = tmp_path / "report.json"
    assert main(["evaluate", str(export), "--dataset", str(dataset), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    embeddings = embed_with_export(export, images)
    per_draw = []
    for q, g in random_gallery_draws(identities.astype(str), 3, 5):
        per_draw.append(score_held_out(embeddings[q], EvaluationSplit(None, identities[q], None),
                                       embeddings[g], EvaluationSplit(None, identities[g], None)))
    assert report["draws"] == 3 and report["gallery"] == len(set(identities))
    for key in ("rank1", "mAP", "minp"):
        assert report[key] == pytest.approx(np.mean([d[key] for d in per_draw]), abs=1e-6)
    assert "mean of 3 random gallery draws (vehicleid)" in capsys.readouterr().out

"""Thesis 003's study on local data: disjoint-class data sets, scenarios, report, resume."""

import numpy as np
import pytest

from tests.helpers import file_times
from tfreid.data.class_datasets import array_records
from tfreid.data.default import make_surfaces
from tfreid.data.reader import load_split
from tfreid.data.surfaces import SurfaceConfig
from tfreid.data.writer import write_dataset
from tfreid.experiments import self_supervised_data, self_supervised_study
from tfreid.experiments.self_supervised_report import write_report


def test_class_datasets_split_into_disjoint_classes(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (200, 28, 28)).astype(np.uint8)
    labels = np.repeat(np.arange(10), 20)
    write_dataset(tmp_path / "classes", {"train": array_records(images, labels, "train"),
                                         "test": array_records(images, labels, "test")},
                  name="classes", source="test")
    out = self_supervised_data.disjoint_classes(tmp_path / "classes", tmp_path / "reid", 60,
                                                80, seed=0)
    train = load_split(out, "train", (28, 28))
    query, gallery = load_split(out, "query", (28, 28)), load_split(out, "gallery", (28, 28))
    assert len(train) == 60 and set(train.identities) <= {0, 1, 2, 3, 4}
    assert len(set(train.cameras)) == 60  # every image its own camera: validation can rank
    assert set(query.identities) | set(gallery.identities) <= {5, 6, 7, 8, 9}
    assert len(query) == 8 and len(gallery) == 72 and set(gallery.cameras) == {1}


@pytest.fixture
def tiny_study(monkeypatch, tmp_path):
    def small_surfaces(name, root, quick):
        out = root / f"selfsup-{name}"
        if not out.exists():
            make_surfaces(out, SurfaceConfig(num_identities=12, views_per_identity=4,
                                             image_size=96, seed=0 if name == "surfaces" else 9))
        return out

    quick_settings = self_supervised_study.study_settings

    def tiny_settings(quick):
        settings = quick_settings(True)
        settings["shared"] = {"epochs": 4, "embedding_dim": 8, "batch_size": 8,
                              "image_size": 40}
        settings["pretrain_epochs"] = 1
        settings["methods"]["insclr"].update(anchors=4, pool_size=6, steps_per_epoch=2)
        settings["methods"]["stml"].update(queries=2, wide_dim=8, steps_per_epoch=2)
        settings["methods"]["spreading"]["steps_per_epoch"] = 2
        settings["methods"]["supervised"]["steps_per_epoch"] = 2
        return settings

    monkeypatch.setattr(self_supervised_study, "ensure_study_dataset", small_surfaces)
    monkeypatch.setattr(self_supervised_study, "study_settings", tiny_settings)
    return tmp_path


@pytest.mark.slow
def test_the_study_runs_reports_and_resumes(tiny_study):
    out = tiny_study / "study"
    rows = self_supervised_study.run_study(("surfaces",), (0,), tiny_study, out, True,
                                           progress=lambda line: None)
    scenarios = {(r["method"], r["start"]) for r in rows}
    assert scenarios == {("untrained", "-"), ("pretrained", "-"), ("supervised", "pretrained"),
                         *((m, s) for m in ("spreading", "insclr", "stml")
                           for s in ("scratch", "pretrained"))}
    assert all(np.isfinite(r["mAP_medium"]) for r in rows)
    floors = [r for r in rows if r["start"] == "-"]
    assert all(r["seconds_per_epoch"] == 0 for r in floors)
    paths = write_report(rows, out)
    report = paths["table"].read_text()
    assert "| surfaces | stml | pretrained |" in report
    assert "surfaces, pre-trained start: STML mAP" in report and "cheapest:" in report
    ran = []
    again = self_supervised_study.run_study(("surfaces",), (0,), tiny_study, out, True,
                                            progress=ran.append)
    assert ran == [] and [r["mAP"] for r in again] == [r["mAP"] for r in rows]
    path, run = out / "results.jsonl", out / "runs" / "surfaces-stml-pretrained-seed0"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # a full disk tore the last row
    trained = file_times(run)
    assert "encoder.keras" in trained
    with pytest.warns(UserWarning, match="dropping its incomplete last line"):
        restored = self_supervised_study.run_study(("surfaces",), (0,), tiny_study, out, True,
                                                   progress=ran.append)
    assert restored == again and len(ran) == 1  # rebuilt from the run's results.json
    assert file_times(run) == trained

import json

import numpy as np
import pytest

from tests.helpers import file_times
from tfreid.cli.experiment import main as experiment_main
from tfreid.errors import DataError
from tfreid.evaluation import evaluate_encoder
from tfreid.experiments import STUDIES, markdown_table, read_rows, run_sweep, summarize
from tfreid.experiments.report import write_sweep_report
from tfreid.plots import connected_share, correlation_edges, plot_correlation_graph
from tfreid.training import RunConfig, load_run
from tfreid.training.run_data import load_reid_data


def fake_train(calls):
    def train(config):
        calls.append((config.lr, config.fold))
        score = 0.5 + config.lr * 10 + 0.01 * config.fold
        return {"test": {"rank1": score, "mAP": score / 2, "mAC": 1 - score, "CF": 3},
                "epochs_run": 2, "train_seconds": 1.0,
                "history": {"loss": [1.0, 0.5], "val_mAC": [0.3, 0.4], "val_CF": [1, 2],
                            "member0_loss": [0.1]}}
    return train


def test_sweep_resumes_and_extends(tmp_path):
    calls = []
    path = tmp_path / "results.jsonl"
    base = RunConfig.for_method("triplet", epochs=1)
    rows = run_sweep(base, [{"lr": 0.01}, {"lr": 0.02}], 2, path, fake_train(calls), tmp_path)
    assert len(rows) == 4 and calls == [(0.01, 0), (0.01, 1), (0.02, 0), (0.02, 1)]
    assert rows[0]["config"]["folds"] == 2 and rows[0]["config"]["save_export"] is False
    assert "member0_loss" not in rows[0]["history"]
    rows = run_sweep(base, [{"lr": 0.01}, {"lr": 0.02}, {"lr": 0.03}], 2, path,
                     fake_train(calls), tmp_path)
    assert len(rows) == 6 and calls[4:] == [(0.03, 0), (0.03, 1)]  # only the new value ran
    rows = run_sweep(base, [{"lr": 0.01}], 3, path, fake_train(calls), tmp_path)
    assert calls[6:] == [(0.01, 0), (0.01, 1), (0.01, 2)]  # 3 folds split differently: rerun
    assert len(rows) == 3 and len(read_rows(path)) == 9
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines[:9], "{broken\n", lines[0]]))
    with pytest.raises(DataError, match="line 10 is not JSON"):
        read_rows(path)


def test_summary_uses_std_over_sqrt_folds(tmp_path):
    rows = run_sweep(RunConfig.for_method("triplet"), [{"lr": 0.01}], 3, tmp_path / "r.jsonl",
                     fake_train([]), tmp_path)
    (entry,) = summarize(rows)
    values = np.array([0.6, 0.61, 0.62])
    assert entry["rank1_mean"] == pytest.approx(values.mean())
    assert entry["rank1_err"] == pytest.approx(values.std() / np.sqrt(3))
    assert "| 0.01 | 3 | 0.610 ± 0.005" in markdown_table([entry], "lr")


def test_report_writes_figures_with_data(tmp_path):
    rows = run_sweep(RunConfig.for_method("triplet"), [{"downscale": d} for d in (1, 2, 3)], 2,
                     tmp_path / "r.jsonl", fake_train([]), tmp_path)
    for row in rows:  # vary the score so the scatter has a correlation to report
        row["rank1"] = 0.2 * row["variant"]["downscale"] + 0.01 * row["fold"]
        row["mAC"] = 1 - row["rank1"]
    paths = write_sweep_report(STUDIES["resolution"], rows, tmp_path, {"image_size": 144})
    for key in ("study", "accuracy_vs_mac", "accuracy_vs_cf", "over_epochs"):
        assert paths[key].stat().st_size > 1000 and paths[key].with_suffix(".json").exists()
    assert json.loads((tmp_path / "resolution.json").read_text())["x"] == [144, 72, 48]
    assert json.loads((tmp_path / "fig4_rank1_vs_mac.json").read_text())["pearson"] == \
        pytest.approx(-1.0)


def test_correlation_graph():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(500, 3))
    embeddings = np.concatenate([base, base[:, :1] * 2 + 0.01 * rng.normal(size=(500, 1)),
                                 rng.normal(size=(500, 2))], axis=1)  # feature 3 copies 0
    np.testing.assert_array_equal(correlation_edges(embeddings), [[0, 3]])
    assert connected_share(embeddings) == pytest.approx(2 / 6)


def test_correlation_graph_figure(tmp_path):
    x = np.random.default_rng(1).normal(size=(50, 8))
    path = plot_correlation_graph(np.concatenate([x, x[:, :2]], 1), tmp_path / "graph.png")
    data = json.loads(path.with_suffix(".json").read_text())
    assert data["edges"] == [[0, 8], [1, 9]] and data["connected_share"] == pytest.approx(0.4)


@pytest.mark.slow
def test_quick_sweep_end_to_end(tmp_path, tiny_dataset, capsys, monkeypatch):
    out = tmp_path / "sweep"
    argv = ["--study", "width", "--quick", "--values", "0.5", "1", "--folds", "2",
            "--dataset", str(tiny_dataset), "--out", str(out)]
    tiny = {"num_triplets": 64, "epochs": 1, "patience": 1, "batch_size": 32}
    monkeypatch.setattr("tfreid.experiments.studies.QUICK_BASE", tiny)
    assert experiment_main(argv) == 0
    rows = read_rows(out / "results.jsonl")
    assert sorted((r["variant"]["width"], r["fold"]) for r in rows) == [
        (0.5, 0), (0.5, 1), (1, 0), (1, 1)]
    assert all(r["config"]["options"]["num_triplets"] == 64 for r in rows)
    for row in rows:  # each row's rank-1, recomputed from the run's saved encoder
        encoder, config, _ = load_run(out / "runs" / row["config"]["run_name"])
        data = load_reid_data(config, "skip")
        assert evaluate_encoder(encoder, data["query"], data["gallery"])["rank1"] == \
            pytest.approx(row["rank1"])
    output = capsys.readouterr().out
    assert (out / "width.png").exists() and "| 0.5 | 2 |" in output
    assert "run 1/4 width0.5-fold0: rank-1 " in output and "left" in output
    # a full disk tore the last line: the rerun restores it from the run's results.json
    results = out / "results.jsonl"
    lines = results.read_bytes().splitlines(keepends=True)
    results.write_bytes(b"".join(lines[:-1]) + lines[-1][:len(lines[-1]) // 2])
    run_folder = out / "runs" / "width1.0-fold1"
    trained = file_times(run_folder)
    assert "encoder.keras" in trained
    assert experiment_main(argv) == 0
    printed = capsys.readouterr()
    (warning,) = [line for line in printed.err.splitlines() if line.strip()]
    assert warning.startswith(f"warning: {results}: dropping its incomplete last line 4")
    assert "run 1/1 width1.0-fold1: rank-1 " in printed.out
    assert f"row restored from {run_folder}/results.json" in printed.out
    assert read_rows(results) == rows  # the same row an uninterrupted sweep wrote
    assert file_times(run_folder) == trained

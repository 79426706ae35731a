import json

import numpy as np
import pytest

from tfreid.cli.compress import main as compress_main
from tfreid.cli.export import main as export_main
from tfreid.compression.report import best_ratio_within
from tfreid.compression.sweep import halving_dims
from tfreid.training import TripletConfig, train_triplet
from tfreid.training.embedding import embed
from tfreid.training.saved_run import load_run


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_dataset):
    root = tmp_path_factory.mktemp("run")
    config = TripletConfig(dataset=str(tiny_dataset), epochs=2, num_triplets=96, batch_size=32,
                           image_size=40, embedding_dim=8, run_name="t",
                           logdir=str(root / "logs"), save_export=False)
    train_triplet(config, verbose=0)
    return root / "logs"


def test_a_finished_run_loads_back(finished_run):
    encoder, config, results = load_run(finished_run)
    assert encoder.output_shape == (None, 8) and config.image_size == 40
    assert config.embedding_dim == 8 and results["run"] == "t"
    images = np.zeros((2, 40, 40, 3), np.uint8)
    assert np.isfinite(embed(encoder, images)).all()


def test_compression_sweep_from_a_run(finished_run, tmp_path, capsys):
    out = tmp_path / "compression"
    status = compress_main(["--run", str(finished_run), "--dims", "4",
                            "--finetune-fraction", "0.5", "--out", str(out)])
    assert status == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert len(rows) == (1 + 3) * 3  # baseline + 3 methods, x 3 precisions
    assert {(r["method"], r["dim"]) for r in rows} == {("baseline", 8), ("slicing", 4),
                                                       ("low_rank", 4), ("pruning", 4)}
    for row in rows:
        per_value = 4 if row["precision"] == "float32" else 1
        assert row["bytes_per_embedding"] == row["dim"] * per_value
        assert row["compression_ratio"] == pytest.approx(32 / row["bytes_per_embedding"])
        assert 0.0 <= row["mAP"] <= 1.0 and row["model_bytes"] > 0
    size = {(r["method"], r["precision"]): r["model_bytes"] for r in rows}
    for method in ("baseline", "slicing", "low_rank", "pruning"):
        assert size[method, "int8-qat"] < size[method, "float32"] / 2  # TFLite int8 vs Keras
    assert "Largest compression within 4% relative mAP" in (out / "results.md").read_text()
    assert (out / "map_vs_bytes.png").stat().st_size > 0
    figure = json.loads((out / "map_vs_bytes.json").read_text())
    assert set(figure["lines"]) >= {"slicing float32", "pruning int8", "low_rank int8-qat"}


def test_deployment_exports_from_a_run(finished_run, tmp_path, capsys):
    out = tmp_path / "deploy"
    assert export_main([str(finished_run), "--out", str(out), "--qat-epochs", "1"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["float_savedmodel_max_error"] <= 1e-5
    assert report["qat_savedmodel_max_error"] <= 1e-5
    assert report["tflite_max_error"] <= 4 * report["tflite_output_step"]
    assert report["mAP_delta"] == pytest.approx(report["tflite_int8"]["mAP"]
                                                - report["float"]["mAP"])
    assert (out / "int8.tflite").stat().st_size == report["bytes"]["int8.tflite"]
    assert sorted(p.name for p in out.iterdir()) == [".tfreid-output", "float", "int8.tflite",
                                                     "qat", "report.json"]
    assert list((finished_run / "qat").rglob("events.*"))  # QAT training logs stay in the run
    capsys.readouterr()
    assert export_main([str(finished_run), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--run", "nowhere"], "is not a finished tfreid run"),
])
def test_compress_errors_are_one_line(tmp_path, capsys, args, message):
    assert compress_main([*args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_target_dims_must_be_below_the_baseline(finished_run, tmp_path, capsys):
    assert compress_main(["--run", str(finished_run), "--dims", "8", "--out",
                          str(tmp_path / "o")]) == 2
    assert "target dims must lie in [1, 7]" in capsys.readouterr().err


def test_halving_dims_and_headline():
    assert halving_dims(768, 32) == (384, 192, 96, 48)
    assert halving_dims(128) == (64, 32, 16, 8)
    rows = [{"method": "baseline", "precision": "float32", "mAP": 0.50, "compression_ratio": 1},
            {"method": "slicing", "precision": "int8", "mAP": 0.49, "compression_ratio": 16},
            {"method": "pruning", "precision": "int8", "mAP": 0.47, "compression_ratio": 32}]
    assert best_ratio_within(rows)["compression_ratio"] == 16  # 0.47 < 0.96 x 0.50

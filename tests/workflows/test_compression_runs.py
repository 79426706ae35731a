"""Runs of every method load back, export and compress (issue 10: a Siamese run too)."""

import json

import pytest

from tfreid.cli.compress import main as compress_main
from tfreid.cli.export import main as export_main
from tfreid.data import load_split
from tfreid.evaluation import embed
from tfreid.experiments.compression_report import best_ratio_within
from tfreid.experiments.compression_sweep import halving_dims
from tfreid.inference import embedder_for
from tfreid.metrics import evaluate_ranking
from tfreid.training import RunConfig, load_run, train

pytestmark = pytest.mark.slow

RUNS = {
    "siamese": {},
    "triplet": {"num_triplets": 96},
    "batch": {"loss": "multi_similarity", "steps_per_epoch": 3},
    "augmented": {"steps_per_epoch": 3},
}


def finished(root, dataset, method, **options):
    """The folder of a short finished run of ``method`` (8-d, 40 px, 2 epochs)."""
    config = RunConfig.for_method(method, dataset=str(dataset), epochs=2, batch_size=16,
                                  image_size=40, embedding_dim=8, run_name="t",
                                  logdir=str(root / "logs"), save_export=False, **options)
    train(config, verbose=0)
    return root / "logs"


@pytest.fixture(scope="module", params=list(RUNS))
def finished_run(request, tmp_path_factory, tiny_dataset):
    return finished(tmp_path_factory.mktemp(request.param), tiny_dataset, request.param,
                    **RUNS[request.param])


def test_a_finished_run_loads_back_with_its_method(finished_run):
    encoder, config, results = load_run(finished_run)
    assert config.method == results["method"] and config.to_dict() == results["config"]
    assert encoder.output_shape == (None, 8) and config.image_size == 40
    query = load_split(config.dataset, "query", (40, 40))
    gallery = load_split(config.dataset, "gallery", (40, 40))
    scores = evaluate_ranking(embed(encoder, query.images), query.identities,
                              embed(encoder, gallery.images), gallery.identities,
                              query.cameras, gallery.cameras)
    assert scores["mAP"] == pytest.approx(results["test"]["mAP"], rel=1e-5)


def test_every_method_exports_and_compresses(finished_run, tmp_path):
    assert export_main([str(finished_run), "--float-only", "--out", str(tmp_path / "e")]) == 0
    assert json.loads((tmp_path / "e" / "tfreid.json").read_text())["embedding_dim"] == 8
    out = tmp_path / "compression"
    assert compress_main(["--run", str(finished_run), "--dims", "4", "--methods", "low_rank",
                          "--precisions", "float32", "int8", "--finetune-fraction", "0.5",
                          "--out", str(out)]) == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    _, _, results = load_run(finished_run)
    baseline = next(r for r in rows if r["method"] == "baseline" and r["precision"] == "float32")
    assert baseline["mAP"] == pytest.approx(results["test"]["mAP"], rel=1e-5)
    assert {(r["method"], r["dim"], r["precision"]) for r in rows} == {
        ("baseline", 8, "float32"), ("baseline", 8, "int8"), ("low_rank", 4, "float32"),
        ("low_rank", 4, "int8")}


@pytest.fixture(scope="module")
def triplet_run(tmp_path_factory, tiny_dataset):
    return finished(tmp_path_factory.mktemp("triplet"), tiny_dataset, "triplet",
                    num_triplets=96)


def test_compression_sweep_from_a_run(triplet_run, tmp_path, capsys):
    out = tmp_path / "compression"
    status = compress_main(["--run", str(triplet_run), "--dims", "4", "--precisions", "float32",
                            "int8", "--finetune-fraction", "0.5", "--out", str(out)])
    assert status == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert len(rows) == (1 + 3) * 2  # baseline + 3 methods, x 2 precisions (QAT: below)
    assert {(r["method"], r["dim"]) for r in rows} == {("baseline", 8), ("slicing", 4),
                                                       ("low_rank", 4), ("pruning", 4)}
    for row in rows:
        per_value = 4 if row["precision"] == "float32" else 1
        assert row["bytes_per_embedding"] == row["dim"] * per_value
        assert row["compression_ratio"] == pytest.approx(32 / row["bytes_per_embedding"])
    assert "Largest compression within 4% relative mAP" in (out / "results.md").read_text()
    assert (out / "map_vs_bytes.png").stat().st_size > 0
    figure = json.loads((out / "map_vs_bytes.json").read_text())
    assert set(figure["lines"]) >= {"slicing float32", "pruning int8", "low_rank int8"}
    capsys.readouterr()
    assert compress_main(["--run", str(triplet_run), "--dims", "4", "--out", str(out)]) == 2
    assert "already exists; use --overwrite" in capsys.readouterr().err


@pytest.fixture(scope="module")
def siamese_run(tmp_path_factory, tiny_dataset):
    return finished(tmp_path_factory.mktemp("siamese"), tiny_dataset, "siamese",
                    steps_per_epoch=3)


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_deployment_exports_of_a_siamese_run(siamese_run, tmp_path, capsys):
    out = tmp_path / "deploy"
    run_files = files_under(siamese_run)
    assert export_main([str(siamese_run), "--out", str(out), "--qat-epochs", "1"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["float_savedmodel_max_error"] <= 1e-5
    assert report["qat_savedmodel_max_error"] <= 1e-5
    assert report["tflite_max_error"] <= 4 * report["tflite_output_step"]
    _, config, _ = load_run(siamese_run)
    query = load_split(config.dataset, "query", (40, 40))
    gallery = load_split(config.dataset, "gallery", (40, 40))
    tflite = embedder_for(out / "int8.tflite")
    scores = evaluate_ranking(tflite.embed(query.images), query.identities,
                              tflite.embed(gallery.images), gallery.identities, query.cameras,
                              gallery.cameras)
    assert report["tflite_int8"]["mAP"] == pytest.approx(scores["mAP"], rel=1e-6)
    assert (out / "int8.tflite").stat().st_size == report["bytes"]["int8.tflite"]
    assert report["bytes"]["int8.tflite"] < report["bytes"]["float"] / 2
    assert sorted(p.name for p in out.iterdir()) == [".tfreid-output", "float", "int8.tflite",
                                                     "qat", "qat_logs", "report.json"]
    # issue 20: the QAT fine-tuning logs live in the export, the run folder gains nothing
    assert report["qat_logs"] == str(out / "qat_logs")
    assert {p.name for p in (out / "qat_logs").iterdir()} == {"train", "validation"}
    assert list((out / "qat_logs" / "validation").glob("events.*"))
    assert not list(tmp_path.glob(".*deploy*"))  # no staging folder left beside the export
    assert files_under(siamese_run) == run_files
    capsys.readouterr()
    assert export_main([str(siamese_run), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert files_under(siamese_run) == run_files


@pytest.mark.parametrize("args, message", [
    (["--run", "nowhere"], "is not a finished tfreid run"),
])
def test_compress_errors_are_one_line(tmp_path, capsys, args, message):
    assert compress_main([*args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_target_dims_must_be_below_the_baseline(triplet_run, tmp_path, capsys):
    assert compress_main(["--run", str(triplet_run), "--dims", "8", "--out",
                          str(tmp_path / "o")]) == 2
    assert "target dims must lie in [1, 7]" in capsys.readouterr().err


def test_halving_dims_and_headline():
    assert halving_dims(768, 32) == (384, 192, 96, 48)
    assert halving_dims(128) == (64, 32, 16, 8)
    rows = [{"method": "baseline", "precision": "float32", "mAP": 0.50, "compression_ratio": 1},
            {"method": "slicing", "precision": "int8", "mAP": 0.49, "compression_ratio": 16},
            {"method": "pruning", "precision": "int8", "mAP": 0.47, "compression_ratio": 32}]
    assert best_ratio_within(rows)["compression_ratio"] == 16  # 0.47 < 0.96 x 0.50


def test_legacy_runs_load_with_their_method(tmp_path):
    from tfreid.training.saved_run import config_of

    siamese = config_of({"loss": "binary", "margin": 0.5, "steps_per_epoch": 9, "lr": 3e-4})
    assert siamese.method == "siamese" and siamese.options["loss"] == "binary"
    hard = config_of({"loss": "triplet", "mining": "hard", "num_triplets": 10, "squared": False})
    assert hard.method == "batch" and hard.options["miner"] == "hard"
    random = config_of({"loss": "triplet", "mining": "random", "num_triplets": 10})
    assert random.method == "triplet" and random.options == {"num_triplets": 10}

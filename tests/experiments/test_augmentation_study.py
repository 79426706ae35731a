import json

import numpy as np
import pytest

from tfreid.cli.pairwise_vs_triplet import main as study_main
from tfreid.data.class_datasets import array_records
from tfreid.data.writer import write_dataset
from tfreid.errors import ConfigError
from tfreid.experiments.augmentation_study import StudySettings, run_study, scenario_key
from tfreid.models.pami_cnn import pami_cnn
from tfreid.training.engine import make_method


def class_images(count, seed, side=28, classes=3):
    """Class c: a bright square in corner c, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % classes
    images = rng.integers(0, 60, (count, side, side), dtype=np.uint8)
    for index, label in enumerate(labels):
        row, column = divmod(int(label), 2)
        images[index, row * 14:row * 14 + 10, column * 14:column * 14 + 10] = 220
    return images, labels


@pytest.fixture(scope="module")
def class_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("classes") / "squares"
    splits = {split: array_records(*class_images(n, seed), split)
              for split, n, seed in (("train", 48, 0), ("test", 45, 1))}
    write_dataset(out, splits, name="squares", source="test squares")
    return out


@pytest.mark.parametrize("shape, convolution_params", [((28, 28, 1), 128), ((32, 32, 3), 384)])
def test_pami_cnn_matches_paper_table(shape, convolution_params):
    model = pami_cnn(shape)
    counts = {layer.name: layer.count_params() for layer in model.layers}
    assert counts["conv1"] == convolution_params
    assert (counts["conv2"], counts["conv3"], counts["conv4"], counts["conv_out"]) == (
        8192, 32768, 131072, 8192)
    assert model.get_layer("conv4").output_shape[1:3] == (3, 3)
    out = model(np.random.default_rng(0).integers(0, 255, (2, *shape)).astype(np.float32))
    assert out.shape == (2, 32) and float(np.min(out)) > 0 and float(np.max(out)) < 1


def test_pami_cnn_rejects_embedding_size_it_cannot_make():
    with pytest.raises(ConfigError, match="multiple of 4"):
        pami_cnn((28, 28, 3), embedding_dim=30)


@pytest.mark.parametrize("training, loss, margin, epochs",
                         [("pairwise", "cosine_embedding", 0.0, 5),
                          ("triplet", "triplet_margin", 1.0, 10)])
def test_a_scenario_is_an_engine_run_of_the_augmented_method(tmp_path, training, loss,
                                                             margin, epochs):
    settings = StudySettings(batch_size=8, xla=False, augment_anchor=True)
    config = settings.run_config(tmp_path / "data", "fer", training, tmp_path / "run")
    method = make_method(config)  # the engine's own checks pass
    assert (config.method, config.backbone, config.image_size, config.embedding_dim) == (
        "augmented", "pami", 28, 32)
    assert (config.epochs, config.batch_size, config.lr, config.xla) == (epochs, 8, 1e-3, False)
    assert config.options == {"loss": loss, "margin": margin, "augment": "fer",
                              "augment_anchor": True, "validate": False}
    assert not method.holds_out_validation()  # every class trains
    with pytest.raises(ConfigError, match="unknown training"):
        settings.run_config(tmp_path / "data", "none", "quadruplet", tmp_path / "run")


def test_scenario_keys_are_those_of_earlier_study_folders():
    key = json.loads(scenario_key("digits", "fer", "triplet", StudySettings(seed=1)))
    assert key == {"augment": "fer", "dataset": "digits", "training": "triplet", "config": {
        "epochs": {"pairwise": 5, "triplet": 10}, "batch_size": 128, "learning_rate": 1e-3,
        "margins": {"pairwise": 0.0, "triplet": 1.0}, "embedding_dim": 32, "image_size": 28,
        "max_train_images": None, "augment_anchor": False, "xla": None, "seed": 1}}


@pytest.mark.slow
def test_study_runs_resumes_and_reports(class_dataset, tmp_path, capsys):
    args = ["--datasets", str(class_dataset), "--augments", "none", "simclr", "--batch-size",
            "8", "--out", str(tmp_path / "study"), "--max-train-images", "48"]
    config = ["--seed", "1"]
    assert study_main([*args, *config, "--quick"]) == 0
    table = (tmp_path / "study" / "results.md").read_text().splitlines()
    assert len(table) == 2 + 4 and "| squares | simclr | triplet |" in table[-1]
    rows = json.loads((tmp_path / "study" / "results.json").read_text())["rows"]
    assert {r["training"] for r in rows} == {"pairwise", "triplet"}
    for row in rows:  # probe accuracy is the confusion matrix's diagonal share
        confusion = np.array(row["confusion"])
        assert row["accuracy"] == pytest.approx(np.trace(confusion) / confusion.sum())
    assert sum(map(sum, rows[0]["confusion"])) == 9  # 20 % of 45 test images
    assert (tmp_path / "study" / "tsne-squares.png").stat().st_size > 0
    confusion = json.loads((tmp_path / "study" / "confusion-squares.json").read_text())
    best = max(rows, key=lambda r: r["accuracy"])
    assert confusion["confusion"] == best["confusion"] and confusion["classes"] == ["0", "1", "2"]
    assert all(r["train_images"] == 48 and np.isfinite(r["final_loss"]) for r in rows)
    (run,) = (tmp_path / "study" / "runs").glob("squares-simclr-triplet-*")
    assert list(run.rglob("events.*")), "no TensorBoard event file for the scenario"
    results = json.loads((run / "results.json").read_text())
    assert results["epochs_run"] == 4  # all epochs, every class: no identity held out
    assert results["train_identities"] == 3 and results["validation_identities"] == []
    tsne = json.loads((tmp_path / "study" / "tsne-squares.json").read_text())
    assert len(tsne["panels"]) == 4 and len(tsne["panels"][0]["points"]) == 45
    trained = []
    quick = StudySettings(epochs={"pairwise": 2, "triplet": 4}, batch_size=8,
                          max_train_images=48, seed=1)
    path = tmp_path / "study" / "results.jsonl"
    again = run_study({"squares": class_dataset}, quick, path, ("none", "simclr"),
                      progress=trained.append)
    assert trained == [] and [r["accuracy"] for r in again] == [r["accuracy"] for r in rows]
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:50])  # a kill tore the last row
    with pytest.warns(UserWarning, match="dropping its incomplete last line"):
        restored = run_study({"squares": class_dataset}, quick, path, ("none", "simclr"),
                             progress=trained.append)
    assert trained == [f"squares / simclr / triplet: finished before, row restored from {run}"]
    assert [r["accuracy"] for r in restored] == [r["accuracy"] for r in rows]


def test_study_with_missing_dataset_is_one_error_line(tmp_path, capsys):
    assert study_main(["--datasets", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1

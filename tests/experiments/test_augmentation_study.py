import json

import numpy as np
import pytest

from tfreid.cli.pairwise_vs_triplet import main as study_main
from tfreid.data.class_datasets import array_records
from tfreid.data.writer import write_dataset
from tfreid.errors import ConfigError
from tfreid.experiments.augmentation_study import run_study
from tfreid.experiments.augmented_training import AugmentedTrainingConfig, train_augmented
from tfreid.models import pami_cnn

TINY = AugmentedTrainingConfig(epochs={"pairwise": 1, "triplet": 1}, batch_size=8,
                               xla=False)


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


@pytest.mark.parametrize("training", ["pairwise", "triplet"])
def test_train_augmented_runs(training):
    images, labels = class_images(32, 2)
    images = np.repeat(images[..., None], 3, axis=-1)
    encoder, run = train_augmented(TINY, training, "fer", images, labels)
    assert np.isfinite(run["history"]["loss"]).all() and run["train_images"] == 32
    assert encoder.output_shape == (None, 32)
    with pytest.raises(ConfigError, match="unknown training"):
        train_augmented(TINY, "quadruplet", "none", images, labels)


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
    events = list((tmp_path / "study" / "runs" / "squares-simclr-triplet").rglob("events.*"))
    assert events, "no TensorBoard event file for the scenario"
    tsne = json.loads((tmp_path / "study" / "tsne-squares.json").read_text())
    assert len(tsne["panels"]) == 4 and len(tsne["panels"][0]["points"]) == 45
    trained = []
    quick = AugmentedTrainingConfig(epochs={"pairwise": 2, "triplet": 4}, batch_size=8,
                                    max_train_images=48, seed=1)
    again = run_study({"squares": class_dataset}, quick, tmp_path / "study" / "results.jsonl",
                      ("none", "simclr"), progress=trained.append)
    assert trained == [] and [r["accuracy"] for r in again] == [r["accuracy"] for r in rows]


def test_study_with_missing_dataset_is_one_error_line(tmp_path, capsys):
    assert study_main(["--datasets", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1

"""Spreading, InsCLR and STML train through the engine without ever seeing a label, and are
scored on held-out identities with Recall@k, NMI and mAP Easy / Medium / Hard."""

import dataclasses
import json

import numpy as np
import pytest

from tfreid.data.revisited import revisited_ground_truth
from tfreid.data.surfaces import SurfaceConfig, surface_records
from tfreid.data.writer import write_dataset
from tfreid.training import RunConfig, load_run, train

WIDE = SurfaceConfig.wide_views(num_identities=16, views_per_identity=4, seed=4)
QUICK = {
    "spreading": {"steps_per_epoch": 4, "lr": 0.01},
    "insclr": {"anchors": 6, "pool_size": 8, "cycles": 4, "steps_per_epoch": 2},
    "stml": {"queries": 3, "num_neighbours": 3, "wide_dim": 16, "momentum": 0.9,
             "steps_per_epoch": 3},
}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    """The same wide-view surface set twice: with its identities, and with the training
    images' identities shuffled."""
    root = tmp_path_factory.mktemp("wide")
    splits = surface_records(WIDE)
    extra = {"revisited": revisited_ground_truth(WIDE, splits["query"], splits["gallery"])}
    write_dataset(root / "true", splits, name="true", source="test", extra=extra)
    shuffled = np.random.default_rng(0).permutation([r.identity for r in splits["train"]])
    train = [dataclasses.replace(r, identity=int(i) + 100)
             for r, i in zip(splits["train"], shuffled, strict=True)]
    write_dataset(root / "shuffled", {**splits, "train": train}, name="shuffled",
                  source="test", extra=extra)
    return root


def run(root, dataset, method, name, input="memory"):
    config = RunConfig.for_method(method, dataset=str(root / dataset), epochs=4,
                                  image_size=40, embedding_dim=8, batch_size=8, input=input,
                                  logdir=str(root / "runs" / name), save_export=False,
                                  **QUICK[method])
    return train(config, verbose=0)


@pytest.mark.slow
@pytest.mark.numeric  # exactly the same weights, streamed or not
@pytest.mark.parametrize("method", list(QUICK))
def test_no_label_reaches_training_and_streaming_changes_nothing(datasets, method):
    """Trained from memory on the true identities and streamed from the shards on shuffled
    ones, the weights are the same."""
    true = run(datasets, "true", method, f"{method}-true")
    shuffled = run(datasets, "shuffled", method, f"{method}-shuffled", input="stream")
    first, _, _ = load_run(datasets / "runs" / f"{method}-true")
    second, _, _ = load_run(datasets / "runs" / f"{method}-shuffled")
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert true["history"]["loss"] == shuffled["history"]["loss"]
    assert true["validation_identities"] == [] and true["best"][0]["monitor"] is None
    test = true["test"]
    for key in ("recall_at_1", "recall_at_8", "nmi", "mAP_easy", "mAP_medium", "mAP_hard"):
        assert np.isfinite(test[key]), key
    assert test["recall_at_8"] >= test["recall_at_1"]  # leave-one-out recall grows with k
    assert test["medium_queries"] == 5 and test["easy_queries"] <= 5  # 5 held-out surfaces


@pytest.mark.slow
def test_self_supervised_command_prints_the_thesis_measures(datasets, tmp_path, capsys,
                                                            monkeypatch):
    from tfreid.cli.train_selfsup import main

    monkeypatch.chdir(tmp_path)
    status = main(["--method", "stml", "--dataset", str(datasets / "true"), "--epochs", "2",
                   "--image-size", "40", "--embedding-dim", "8", "--queries", "3",
                   "--num-neighbours", "3", "--wide-dim", "16", "--steps-per-epoch", "2",
                   "--run-name", "s", "--no-save-export"])
    out = capsys.readouterr().out
    assert status == 0 and "R@1 " in out and "NMI " in out
    assert "mAP E " in out and "mAP M " in out and "mAP H " in out
    assert "labels unseen" in out and "the last epoch's weights kept" in out
    saved = json.loads((tmp_path / "logs" / "s" / "results.json").read_text())
    assert saved["method"] == "stml" and saved["seconds_per_epoch"] > 0

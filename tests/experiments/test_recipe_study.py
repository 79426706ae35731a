"""The recipe study: one budget per row, each ablation one setting away from BoT, the
report's verdicts, and the study running, resuming and reading lost rows back."""

import numpy as np
import pytest

from tests.helpers import file_times
from tfreid.data.default import make_surfaces
from tfreid.data.surfaces import SurfaceConfig
from tfreid.experiments import recipe_study
from tfreid.experiments.recipe_report import findings, markdown_tables, summarize, write_report

SETTINGS = recipe_study.study_settings(quick=False)


def _config(row, dataset="surfaces", tmp_path="/tmp"):
    return recipe_study.row_config(row, "data", dataset, SETTINGS, 0, tmp_path)


def test_bot_schedule_is_the_paper_s_at_120_epochs_and_scales():
    bot = recipe_study.bot_schedule(120)
    assert (bot["warmup_epochs"], bot["lr_milestones"], bot["lr"]) == (10, [40, 70], 3.5e-4)
    assert recipe_study.bot_schedule(24)["lr_milestones"] == [8, 14]
    assert recipe_study.bot_schedule(24)["warmup_epochs"] == 2


@pytest.mark.parametrize("dataset", recipe_study.DATASETS)
def test_every_row_trains_on_the_same_budget_without_stopping_early(dataset):
    configs = {row: _config(row, dataset) for row in recipe_study.ROWS}
    budgets = {(c.epochs, c.setting("steps_per_epoch"), c.batch_size, c.patience,
                c.image_shape(), c.embedding_dim, c.backbone) for c in configs.values()}
    assert len(budgets) == 1
    epochs, _, batch, patience, _, _, backbone = budgets.pop()
    assert patience == epochs and backbone == "table1"
    assert {c.setting("samples_per_identity") for c in configs.values()} == \
        {16 if dataset == "fashion-mnist" else 4}
    assert batch == (48 if dataset == "fashion-mnist" else 64)


def _differences(row):
    bot, other = _config("BoT").to_dict(), _config(row).to_dict()
    flat = {**bot.pop("options"), **bot.pop("backbone_options"), **bot}
    other = {**other.pop("options"), **other.pop("backbone_options"), **other}
    return {k: (flat.get(k), other.get(k)) for k in flat.keys() | other.keys()
            if flat.get(k) != other.get(k)}


def test_the_full_recipe_has_every_trick_and_each_ablation_lacks_one():
    bot = _config("BoT")
    assert (bot.setting("neck"), bot.setting("label_smoothing"), bot.setting("center_weight"),
            bot.train_augment, bot.warmup_epochs, bot.lr_milestones) == \
        ("bnneck", 0.1, 0.0005, ["flip", "pad_crop", "erase"], 2, [8, 14])
    assert _differences("BoT - BNNeck") == {"neck": ("bnneck", "none")}
    assert _differences("BoT - warm-up") == {"warmup_epochs": (2, 0)}
    assert _differences("BoT - random erasing") == {
        "train_augment": (["flip", "pad_crop", "erase"], ["flip", "pad_crop"])}
    assert _differences("identity only") == {"metric_loss": ("triplet_margin", "none")}
    assert _differences("BoT - flip, pad-and-crop") == {
        "train_augment": (["flip", "pad_crop", "erase"], ["erase"])}
    assert _differences("BoT, soft margin") == {"soft_margin": (None, True)}  # default: off
    baseline = _config("softmax+triplet")
    assert (baseline.setting("neck"), baseline.setting("label_smoothing"),
            baseline.setting("center_weight"), baseline.warmup_epochs, baseline.train_augment) \
        == ("none", 0.0, 0.0, 0, ["flip", "pad_crop"])
    assert {_config(row).lr for row in ("quickstart", "batch-hard triplet",
                                        "multi-similarity")} == {3e-4}  # only the loss differs
    quickstart = _config("quickstart")
    assert (quickstart.method, quickstart.setting("loss"), quickstart.setting("miner"),
            quickstart.lr, quickstart.lr_schedule) == ("siamese", "contrastive", "hard", 3e-4,
                                                       "constant")


def _row(row, seed, map_, dataset="surfaces"):
    return {"dataset": dataset, "row": row, "seed": seed, "epochs": 24, "best_epoch": 20,
            "seconds_per_epoch": 2.0, "rank1": map_ + 0.1, "mAP": map_, "minp": map_ / 2,
            "map_at_r": map_ / 3}


def test_the_report_gives_means_spreads_and_each_trick_s_effect(tmp_path):
    rows = [_row("quickstart", 0, 0.50), _row("BoT", 0, 0.60), _row("BoT - BNNeck", 0, 0.45),
            _row("BoT - random erasing", 0, 0.63), _row("BoT - warm-up", 0, 0.605),
            _row("quickstart", 1, 0.52), _row("BoT", 1, 0.62)]
    entries = summarize(rows)
    bot = next(e for e in entries if e["row"] == "BoT")
    assert bot["seeds"] == 2 and bot["mAP"] == pytest.approx(0.61)
    assert bot["mAP_std"] == pytest.approx(0.01)
    assert [e["row"] for e in entries] == ["quickstart", "BoT", "BoT - BNNeck",
                                           "BoT - random erasing", "BoT - warm-up"]
    table = markdown_tables(entries)
    assert "| BoT | 0.710 ± 0.010 | 0.610 ± 0.010 | 0.305 ± 0.005 | 2 | 20.0 | 2.00 |" in table
    assert "| BoT - BNNeck | 0.550 | 0.450 | 0.225 | 1 |" in table
    lines = findings(entries)
    # BoT 0.61 +- 0.01: 0.16 above the row without BNNeck, 0.02 below the one without
    # erasing (beyond the 0.01 spread), 0.005 above the one without warm-up (within it)
    assert lines[0] == ("surfaces, mAP of BoT minus the row without: BNNeck +0.160 (helps); "
                        "random erasing -0.020 (hurts); warm-up +0.005 (within the seed spread)")
    assert lines[1] == ("surfaces: best row BoT - random erasing (mAP 0.630); BoT against the "
                        "quickstart +0.100 (helps)")
    single = findings(summarize([r for r in rows if r["seed"] == 0]))
    assert single[0].startswith("surfaces, mAP of BoT minus the row without: BNNeck +0.150 "
                                "(one seed: no spread to judge by)")
    paths = write_report(rows, tmp_path)
    assert paths["table"].read_text().endswith(f"- {lines[1]}\n")


@pytest.fixture
def tiny_study(monkeypatch, tmp_path):
    def small_surfaces(name, root, quick):
        out = root / f"tiny-{name}"
        if not out.exists():
            make_surfaces(out, SurfaceConfig(num_identities=16, views_per_identity=4,
                                             image_size=96, seed=0))
        return out

    tiny = {"image_size": 40, "batch_size": 16, "samples_per_identity": 4}
    monkeypatch.setattr(recipe_study, "ensure_dataset", small_surfaces)
    monkeypatch.setattr(recipe_study, "study_settings", lambda quick: {
        "budget": {"epochs": 3, "steps_per_epoch": 2, "patience": 3, "embedding_dim": 8},
        "input": {"surfaces": tiny}})
    rows = ("quickstart", "BoT", "BoT - BNNeck", "multi-similarity", "ArcFace")
    monkeypatch.setattr(recipe_study, "ROWS", {r: recipe_study.ROWS[r] for r in rows})
    return tmp_path


@pytest.mark.slow
def test_the_study_runs_every_row_then_the_seeded_ones_and_resumes(tiny_study):
    out = tiny_study / "study"
    rows = recipe_study.run_study(("surfaces",), (0, 1), tiny_study, out, True,
                                  progress=lambda line: None)
    best = max((r for r in rows[:5] if r["row"] not in recipe_study.SEEDED_ROWS),
               key=lambda r: r["mAP"])["row"]
    assert [(r["row"], r["seed"]) for r in rows] == [
        *((row, 0) for row in recipe_study.ROWS), ("quickstart", 1), ("BoT", 1), (best, 1)]
    assert all(np.isfinite(r["mAP"]) and r["epochs"] == 3 for r in rows)
    assert rows[0]["mAP"] != rows[5]["mAP"]  # another seed, another run
    ran = []
    again = recipe_study.run_study(("surfaces",), (0, 1), tiny_study, out, True,
                                   progress=ran.append)
    assert ran == [] and again == rows
    path = out / "results.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))  # the last row lost: its finished run is read back
    trained = file_times(out / "runs")
    restored = recipe_study.run_study(("surfaces",), (0, 1), tiny_study, out, True,
                                      progress=ran.append)
    assert restored == rows and len(ran) == 1
    assert file_times(out / "runs") == trained

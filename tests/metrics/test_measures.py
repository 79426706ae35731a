"""The registry of measures and the typed scores: every registered measure is where it says
it appears, scores keep today's keys, and a new measure is one entry away from every place."""

import json

import numpy as np
import pytest

from tfreid.catalog import MEASURES
from tfreid.evaluation import EvaluationSplit, Scores, chance_scores, score_held_out
from tfreid.metrics.measure import (
    EPOCH,
    PLACES,
    REPORT,
    SWEEP,
    TABLE,
    TENSORBOARD,
    Evaluation,
    Measure,
    keys,
    measures,
)
from tfreid.metrics.scoring import evaluate_retrieval


def split_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    gid, qid = rng.integers(1, 8, 90), rng.integers(1, 8, 25)
    gcam, qcam = rng.integers(1, 4, len(gid)), rng.integers(1, 4, len(qid))
    q = rng.normal(size=(len(qid), 5)) + qid[:, None] * 0.5
    g = rng.normal(size=(len(gid), 5)) + gid[:, None] * 0.5
    return q, EvaluationSplit(None, qid, qcam), g, EvaluationSplit(None, gid, gcam)


def test_every_entry_is_named_by_its_key_and_appears_in_known_places():
    for name in MEASURES:
        measure = MEASURES.get(name)
        assert isinstance(measure, Measure) and measure.key == name
        assert set(measure.places) <= set(PLACES)
    assert keys(EPOCH) == ("rank1", "mAP", "mAC", "CF")  # the per-epoch line, as before
    assert keys(SWEEP) == ("rank1", "mAP", "mAC", "CF")  # the sweep rows' columns, as before
    assert [m.label for m in measures(REPORT) if m.group == TABLE] == [
        "rank-1", "rank-5", "mAP", "mINP", "mAC", "CF"]
    assert not MEASURES.get("CF").higher_is_better and MEASURES.get("minp").higher_is_better


def test_held_out_scores_hold_every_measure_of_evaluate_retrieval_and_minp():
    q, query, g, gallery = split_data()
    scores = score_held_out(q, query, g, gallery)
    report = evaluate_retrieval(q, query.identities, g, gallery.identities, query.cameras,
                                gallery.cameras)
    assert isinstance(scores, Scores)
    for key, value in report.items():
        assert np.array_equal(scores[key], value), key
    assert set(scores) == {*report, "mAC", "CF"}
    assert scores.mAP == scores["mAP"] and scores.cmc is scores["cmc"] and len(scores.cmc) == 20
    assert scores["minp"] == pytest.approx(minp_by_loop(q, query, g, gallery), abs=1e-12)


def minp_by_loop(q, query, g, gallery) -> float:
    """mINP query by query: Euclidean order, same identity and camera left out, INP = true
    matches / rank of the last one (random continuous embeddings: no ties)."""
    inps = []
    for row, identity, camera in zip(q, query.identities, query.cameras, strict=True):
        keep = ~((gallery.identities == identity) & (gallery.cameras == camera))
        order = np.argsort(np.linalg.norm(g[keep] - row, axis=1), kind="stable")
        ranks = np.flatnonzero(gallery.identities[keep][order] == identity) + 1
        if len(ranks):
            inps.append(len(ranks) / ranks[-1])
    return float(np.mean(inps))


def test_scores_are_a_plain_dict_for_results_json():
    q, query, g, gallery = split_data(1)
    stored = json.loads(json.dumps(score_held_out(q, query, g, gallery).without_curve()))
    read = Scores.read(stored)
    assert read["mAP"] == stored["mAP"] and read.rank1 == stored["rank1"]
    with pytest.raises(AttributeError):
        read.not_a_measure  # noqa: B018


def test_chance_keeps_rank1_and_map_and_adds_minp():
    _, query, _, gallery = split_data(2)
    chance = chance_scores(query, gallery, seed=0)
    assert list(chance) == ["rank1", "mAP", "minp"]
    # rank-1 by chance: a query's valid true matches over its valid gallery entries
    shares = []
    for identity, camera in zip(query.identities, query.cameras, strict=True):
        valid = ~((gallery.identities == identity) & (gallery.cameras == camera))
        matches = (gallery.identities[valid] == identity).sum()
        if matches:
            shares.append(matches / valid.sum())
    assert chance["rank1"] == pytest.approx(np.mean(shares), abs=1e-12)
    # embeddings that carry the identity (split_data) score above random ones
    q, _, g, _ = split_data(2)
    informed = score_held_out(q, query, g, gallery)
    assert chance["mAP"] < informed["mAP"] and chance["minp"] < informed["minp"]


WORST_RANK = Measure("worst_rank", "worst rank", lambda e: max(int(r[-1]) for r in e.scored),
                     higher_is_better=False, format="d",
                     places=frozenset({REPORT, TENSORBOARD, EPOCH}))


def test_a_new_measure_is_one_registry_entry_away_from_every_place(tmp_path):
    from tfreid.callbacks.epoch_logger import counts
    from tfreid.training.report import format_results
    from tfreid.training.run_summaries import test_scalars

    MEASURES.register("worst_rank", f"{__name__}:WORST_RANK")
    try:
        q, query, g, gallery = split_data(3)
        scores = score_held_out(q, query, g, gallery)
        expected = max(int(r[-1]) for r in Evaluation(
            q, query.identities, g, gallery.identities, query.cameras, gallery.cameras).scored)
        assert scores["worst_rank"] == expected
        assert "worst_rank" in test_scalars() and "worst_rank" in counts()
        results = {"run": "r", "method": "batch", "epochs_run": 1, "train_seconds": 1.0,
                   "best": [{"epoch": None, "monitor": None, "value": None}],
                   "validation_identities": [], "train_identities": 3, "config": {},
                   "logdir": "logs/r", "export": None, "test_cmc": scores.cmc.tolist(),
                   "chance": {}, "test": scores.without_curve()}
        assert f"worst rank{expected:>10}" in format_results(results)
    finally:
        MEASURES.remove("worst_rank")
    assert "worst_rank" not in test_scalars()

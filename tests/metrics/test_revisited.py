"""mAP Easy / Medium / Hard against hand-worked rankings, and the surface set's ground truth."""

import numpy as np
import pytest

from tfreid.data.revisited import pair_difficulty, revisited_ground_truth, revisited_masks
from tfreid.data.surfaces import SurfaceConfig, surface_records
from tfreid.metrics.revisited import evaluate_revisited, trapezoid_ap


def test_trapezoid_ap_by_hand():
    # positives at 0-based ranks 0 and 2 of 2 positives:
    # j=0, r=0: (1 + 1/1) / 2 = 1; j=1, r=2: (1/2 + 2/3) / 2 = 7/12 -> (1 + 7/12) / 2 = 19/24
    assert trapezoid_ap([0, 2], 2) == pytest.approx(19 / 24)
    # one positive at rank 3: (0/3 + 1/4) / 2 = 1/8
    assert trapezoid_ap([3], 1) == pytest.approx(1 / 8)


def test_easy_medium_hard_by_hand():
    # one query at 0; gallery on a line at distances 1..6: labels by position
    query = np.zeros((1, 1))
    gallery = np.arange(1, 7, dtype=float)[:, None]
    kinds = ["easy", "junk", "hard", "negative", "easy", "hard"]
    masks = {k: np.array([[kind == k for kind in kinds]]) for k in ("easy", "hard", "junk")}
    scores = evaluate_revisited(query, gallery, masks["easy"], masks["hard"], masks["junk"])
    # E: ignore junk + hard -> ranking easy(0) negative(1) easy(2): ranks [0, 2] -> 19/24
    assert scores["mAP_easy"] == pytest.approx(19 / 24)
    # M: ignore junk -> easy(0) hard(1) negative(2) easy(3) hard(4): ranks [0, 1, 3, 4]
    expected = trapezoid_ap([0, 1, 3, 4], 4)
    assert scores["mAP_medium"] == pytest.approx(expected)
    # H: ignore junk + easy -> hard(0) negative(1) hard(2): ranks [0, 2]
    assert scores["mAP_hard"] == pytest.approx(19 / 24)
    assert scores["easy_queries"] == scores["hard_queries"] == 1


def test_queries_without_positives_are_skipped_and_counted():
    query = np.zeros((2, 1))
    gallery = np.array([[1.0], [2.0]])
    easy = np.array([[True, False], [False, False]])
    hard = np.array([[False, False], [False, True]])
    junk = np.zeros((2, 2), bool)
    scores = evaluate_revisited(query, gallery, easy, hard, junk)
    assert scores["easy_queries"] == 1 and scores["easy_skipped"] == 1
    assert scores["mAP_easy"] == pytest.approx(1.0)
    assert scores["mAP_hard"] == pytest.approx(trapezoid_ap([1], 1))  # junk-free, rank 1


def square(centre, half=100.0):
    return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) * half + centre


def test_difficulty_rule_on_constructed_views():
    assert pair_difficulty((square(0), 0.0), (square(10), 5.0)) == "easy"
    assert pair_difficulty((square(0), 0.0), (square(10), 30.0)) == "hard"  # rotated
    assert pair_difficulty((square(0), 0.0), (square(90), 0.0)) == "hard"  # IoU ~0.3
    assert pair_difficulty((square(0), 0.0), (square(180), 0.0)) == "junk"  # IoU ~0.01


def test_wide_surface_sets_carry_all_three_kinds():
    config = SurfaceConfig.wide_views(num_identities=12, views_per_identity=6)  # 256 px views
    splits = surface_records(config)
    truth = revisited_ground_truth(config, splits["query"], splits["gallery"])
    counts = {kind: sum(len(labels[kind]) for labels in truth["queries"].values())
              for kind in ("easy", "hard", "junk")}
    assert all(counts.values()) and sum(counts.values()) == len(splits["gallery"])
    query_files = np.array([r.filename for r in splits["query"]])
    gallery_files = np.array([r.filename for r in splits["gallery"]])
    masks = revisited_masks({"revisited": truth}, query_files, gallery_files)
    same = np.array([[q.identity == g.identity for g in splits["gallery"]]
                     for q in splits["query"]])
    union = masks["easy"] | masks["hard"] | masks["junk"]
    np.testing.assert_array_equal(union, same)  # every same-identity pair labelled once
    assert not (masks["easy"] & masks["hard"]).any()

"""mINP (Ye et al., TPAMI 2021): hand-worked cases and a per-query loop with the Market-1501
camera rule."""

import numpy as np
import pytest

from tfreid.catalog import MEASURES
from tfreid.metrics import Evaluation, inverse_negative_penalty
from tfreid.metrics.scoring import evaluate_retrieval


def minp_of(q, qid, g, gid, qcam=None, gcam=None) -> float:
    return Evaluation(q, qid, g, gid, qcam, gcam).scores([MEASURES.get("minp")])["minp"]


@pytest.mark.parametrize(("ranks", "expected"), [([1, 4], 2 / 4), ([3], 1 / 3), ([1, 2, 3], 1.0),
                                                 ([2, 5, 6], 3 / 6)])
def test_inp_of_one_query_is_matches_over_the_hardest_rank(ranks, expected):
    assert inverse_negative_penalty(np.array(ranks)) == pytest.approx(expected)


def test_matches_at_ranks_1_and_4_give_2_over_4():
    # gallery on a line at 1, 2, 3, 4 from the query at 0: identity 7 at 1 and 4
    g = np.array([[1.0], [2.0], [3.0], [4.0]])
    gid = np.array([7, 1, 2, 7])
    assert minp_of(np.array([[0.0]]), np.array([7]), g, gid) == pytest.approx(0.5)


def test_two_queries_average_and_a_query_without_a_match_is_left_out():
    g = np.array([[1.0], [2.0], [3.0]])
    gid = np.array([7, 8, 7])
    # query 7: matches at ranks 1, 3 -> 2/3; query 8 at 2.1: nearest 2 (itself), INP 1;
    # query 9: no match, not scored
    q, qid = np.array([[0.0], [2.1], [5.0]]), np.array([7, 8, 9])
    scores = Evaluation(q, qid, g, gid).scores([MEASURES.get("minp")])
    assert scores["minp"] == pytest.approx((2 / 3 + 1.0) / 2)
    assert scores["num_invalid_queries"] == 1


def test_same_camera_matches_are_junk_and_ties_go_against_the_query():
    # the same-identity, same-camera entry at distance 0.5 is left out (junk); the last
    # match, at 3, ties with a non-match, which ranks before it
    g = np.array([[0.5], [1.0], [3.0], [3.0]])
    gid = np.array([7, 7, 7, 2])
    gcam = np.array([1, 2, 2, 2])
    q, qid, qcam = np.array([[0.0]]), np.array([7]), np.array([1])
    # kept: 1.0 (match, rank 1), 3.0 non-match and 3.0 match tied: match at rank 3
    assert minp_of(q, qid, g, gid, qcam, gcam) == pytest.approx(2 / 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_minp_against_a_per_query_loop_with_the_market1501_camera_rule(seed):
    rng = np.random.default_rng(seed)
    gid = np.concatenate([rng.integers(1, 10, 120), np.zeros(20, dtype=int)])  # 0: distractors
    gcam, qid = rng.integers(1, 4, len(gid)), rng.integers(1, 12, 30)
    qcam = rng.integers(1, 4, len(qid))
    q = rng.normal(size=(30, 6)) + qid[:, None] * 0.4
    g = rng.normal(size=(len(gid), 6)) + gid[:, None] * 0.4
    inps = []
    for i in range(len(q)):
        keep = ~((gid == qid[i]) & (gcam == qcam[i]))  # junk: same identity and camera
        relevant = (gid[keep] == qid[i])[np.argsort(np.linalg.norm(g[keep] - q[i], axis=1))]
        if relevant.any():
            hardest = np.flatnonzero(relevant)[-1] + 1
            inps.append(relevant.sum() / hardest)
    assert 0 < len(inps) < len(q)
    report = evaluate_retrieval(q, qid, g, gid, qcam, gcam)
    assert report["minp"] == pytest.approx(np.mean(inps), rel=1e-12)
    assert minp_of(q, qid, g, gid, qcam, gcam) == report["minp"]

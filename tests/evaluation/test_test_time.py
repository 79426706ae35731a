"""Test-time options scored with the evaluation's own rules: nothing asked changes nothing;
re-ranked distances ranked chunk by chunk score as the whole matrix does, against a
per-query loop; query expansion and DBA are ranked as their features are."""

import numpy as np
import pytest

from tfreid.evaluation import score_held_out
from tfreid.evaluation.embedding import EvaluationSplit
from tfreid.evaluation.test_time import RankingOptions, ranking_scores
from tfreid.metrics.ranking import match_ranks, ranks_of_distances
from tfreid.retrieval.expansion import database_augmentation, query_expansion
from tfreid.retrieval.rerank import k_reciprocal_rerank


def identities_data(seed=0, people=12, views=5, dim=16):
    """Clustered features: ``views`` noisy views of each of ``people`` centres, two
    cameras; the first view of each person is its query."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, dim))
    x = np.repeat(centres, views, axis=0) + 0.8 * rng.normal(size=(people * views, dim))
    ids, cams = np.repeat(np.arange(people), views), np.tile(np.arange(views) % 2, people)
    first = np.arange(people) * views
    rest = np.setdiff1d(np.arange(len(x)), first)
    return (x[first].astype(np.float32), ids[first], cams[first],
            x[rest].astype(np.float32), ids[rest], cams[rest])


def loop_scores(distances, q_ids, q_cams, g_ids, g_cams):
    """rank-1 and mAP per query from a dense distance matrix (ties against the query)."""
    first, aps = [], []
    for i, row in enumerate(distances):
        valid = ~((g_ids == q_ids[i]) & (g_cams == q_cams[i]))
        match = (g_ids == q_ids[i])[valid]
        d = row[valid]
        if not match.any():
            continue
        # a match's rank: matches at most as far + non-matches at most as far
        ranks = np.sort([np.sum(d[match] <= v) + np.sum(d[~match] <= v) for v in d[match]])
        first.append(ranks[0] == 1)
        aps.append(np.mean(np.arange(1, len(ranks) + 1) / ranks))
    return float(np.mean(first)), float(np.mean(aps))


def test_no_option_scores_as_the_evaluation_does():
    q, qi, qc, g, gi, gc = identities_data()
    plain = score_held_out(q, EvaluationSplit(None, qi, qc), g, EvaluationSplit(None, gi, gc))
    options = RankingOptions()
    assert not options.active() and options.describe() == "none"
    scores = ranking_scores(q, qi, qc, g, gi, gc, "euclidean", options)
    for key in ("rank1", "rank5", "mAP", "minp"):
        assert scores[key] == plain[key]


@pytest.mark.parametrize("chunk", [1, 5, 12])
def test_reranked_distances_ranked_in_chunks_score_as_the_whole_matrix(chunk):
    q, qi, qc, g, gi, gc = identities_data(seed=1)
    dense = k_reciprocal_rerank(q, g, k1=6, k2=3, lambda_value=0.3)
    chunks = [(slice(s, s + chunk), dense[s:s + chunk]) for s in range(0, len(q), chunk)]
    assert [r.tolist() for r in ranks_of_distances(chunks, qi, gi, qc, gc)] == \
        [r.tolist() for r in ranks_of_distances([(slice(0, len(q)), dense)], qi, gi, qc, gc)]
    options = RankingOptions(rerank=True, k1=6, k2=3)
    scores = ranking_scores(q, qi, qc, g, gi, gc, "euclidean", options)
    rank1, mean_ap = loop_scores(dense, qi, qc, gi, gc)
    assert scores["rank1"] == pytest.approx(rank1, abs=1e-12)
    assert scores["mAP"] == pytest.approx(mean_ap, abs=1e-12)
    assert options.describe() == "re-ranking k1=6 k2=3 l=0.3"


def test_query_expansion_and_dba_are_ranked_as_their_features():
    q, qi, qc, g, gi, gc = identities_data(seed=2)
    options = RankingOptions(qe_k=3, qe_alpha=2.0, dba_k=2)
    augmented = database_augmentation(g, 2, 2.0)
    queries = query_expansion(q, augmented, 3, 2.0)
    ranks = match_ranks(queries, qi, augmented, gi, qc, gc)
    scores = ranking_scores(q, qi, qc, g, gi, gc, "euclidean", options)
    assert scores["rank1"] == np.mean([r[0] == 1 for r in ranks if len(r)])
    assert options.describe() == "DBA k=2 + QE k=3 a=2"
    plain = ranking_scores(q, qi, qc, g, gi, gc, "euclidean", RankingOptions())
    assert scores["mAP"] != plain["mAP"]  # the expansion changed the ranking


def test_query_expansion_alone_compares_unit_queries_with_the_unit_gallery():
    q, qi, qc, g, gi, gc = identities_data(seed=3)
    g = g * np.linspace(0.5, 3.0, len(g))[:, None]  # raw lengths vary; the expansion's don't
    unit = g / np.linalg.norm(g, axis=1, keepdims=True)
    ranks = match_ranks(query_expansion(q, unit, 2, 3.0), qi, unit, gi, qc, gc)
    scores = ranking_scores(q, qi, qc, g, gi, gc, "euclidean", RankingOptions(qe_k=2))
    assert scores["mAP"] == pytest.approx(np.mean([np.mean(np.arange(1, len(r) + 1) / r)
                                                   for r in ranks if len(r)]), abs=1e-12)

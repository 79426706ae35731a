"""Scoring splits given as arrays: without cameras no gallery entry is left out."""

import numpy as np
import pytest

from tfreid.evaluation import as_split, chance_scores, score_held_out


def test_splits_without_cameras_keep_their_matches():
    # two images an identity, one a query, one in the gallery; the embeddings separate the
    # identities, so every query's one match comes first (with camera 0 for all, as before,
    # the camera rule left no query a match)
    identities = np.arange(4)
    embeddings = np.eye(4, dtype=np.float32)
    images = np.zeros((4, 8, 8, 3), np.uint8)
    query, gallery = as_split((images, identities)), as_split((images, identities))
    assert query.cameras.tolist() == [-1] * 4
    scores = score_held_out(embeddings, query, embeddings, gallery, "euclidean")
    assert (scores["rank1"], scores["mAP"], scores["num_queries"]) == (1.0, 1.0, 4)
    assert chance_scores(query, gallery, seed=0)["rank1"] == pytest.approx(1 / 4)

"""Embedding images with an encoder and scoring the embeddings (below callbacks and training)."""

from tfreid.evaluation.embedding import (
    EvaluationSplit,
    as_split,
    chance_scores,
    embed,
    evaluate_encoder,
    held_out_scores,
    score_embeddings,
    score_held_out,
)
from tfreid.metrics.measure import Scores

__all__ = ["EvaluationSplit", "as_split", "chance_scores", "embed", "evaluate_encoder",
           "held_out_scores", "score_embeddings", "score_held_out", "Scores"]

"""Similarity matrices for the similarity-based losses (thesis 003, section 2.3.3).

As in pytorch-metric-learning, a loss names the similarity it works on and
never computes it itself: ``"cosine"`` (S_ij = f_i.f_j / (|f_i| |f_j|), the
thesis' choice) or ``"dot"`` (S_ij = f_i.f_j, as the original N-pair loss).
"""

from tfreid.backend import tf

SIMILARITIES = ("cosine", "dot")


def check_similarity(kind: str) -> str:
    """``kind`` if it names a similarity, else ValueError listing the choices."""
    if kind not in SIMILARITIES:
        raise ValueError(f"unknown similarity {kind!r}; choose from {', '.join(SIMILARITIES)}")
    return kind


def l2_normalize(embeddings: tf.Tensor) -> tf.Tensor:
    """f / max(|f|, 1e-6): a zero vector stays zero and its gradient stays finite."""
    return tf.math.l2_normalize(embeddings, axis=-1, epsilon=1e-12)


def similarity_matrix(embeddings: tf.Tensor, kind: str = "cosine",
                      others: tf.Tensor | None = None) -> tf.Tensor:
    """(B, C) similarities between the rows of ``embeddings`` and of ``others``.

    ``others`` defaults to ``embeddings`` itself, giving the (B, B) matrix.
    """
    check_similarity(kind)
    others = embeddings if others is None else others
    if kind == "cosine":
        embeddings, others = l2_normalize(embeddings), l2_normalize(others)
    return tf.matmul(embeddings, others, transpose_b=True)

"""Pieces every batch metric-learning loss shares: distances and label masks.

Written once, as pytorch-metric-learning separates distances from losses, so
each loss is only its own formula. All functions are plain tensor ops with
static shapes: they compile under XLA.
"""

from tfreid.backend import tf

SQRT_FLOOR = 1e-12


def safe_sqrt(squared: tf.Tensor) -> tf.Tensor:
    """sqrt(max(x, 1e-12)): finite gradient at x = 0 (it flows into the floor)."""
    return tf.sqrt(tf.maximum(squared, SQRT_FLOOR))


def pairwise_distance_matrix(embeddings: tf.Tensor, squared: bool = False) -> tf.Tensor:
    """(B, B) Euclidean (or squared Euclidean) distances between rows of ``embeddings``.

    ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2, clipped at 0 against round-off; the
    diagonal is exactly 0.
    """
    embeddings = tf.convert_to_tensor(embeddings)
    norms = tf.reduce_sum(tf.square(embeddings), axis=1)
    squared_distances = norms[:, None] - 2.0 * tf.matmul(embeddings, embeddings,
                                                         transpose_b=True) + norms[None, :]
    squared_distances = tf.maximum(squared_distances, 0.0)
    off_diagonal = 1.0 - tf.eye(tf.shape(embeddings)[0], dtype=embeddings.dtype)
    squared_distances *= off_diagonal
    return squared_distances if squared else safe_sqrt(squared_distances) * off_diagonal


def pair_distance(a: tf.Tensor, b: tf.Tensor, squared: bool = False) -> tf.Tensor:
    """Row-wise Euclidean (or squared) distance between two (..., D) tensors."""
    squared_distance = tf.reduce_sum(tf.square(a - b), axis=-1)
    return squared_distance if squared else safe_sqrt(squared_distance)


def label_masks(labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(positive, negative) boolean (B, B) masks.

    positive[i, j]: same label and i != j; negative[i, j]: different labels.
    """
    labels = tf.reshape(labels, [-1])
    same = tf.equal(labels[:, None], labels[None, :])
    not_self = tf.logical_not(tf.eye(tf.shape(labels)[0], dtype=tf.bool))
    return tf.logical_and(same, not_self), tf.logical_not(same)

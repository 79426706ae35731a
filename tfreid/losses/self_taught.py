"""Self-taught metric learning (Kim et al., CVPR 2022, STML; thesis 003, section 3.3), as
its code computes it (STML-CVPR22 loss.py): the contextualised similarity a teacher
gives, the relaxed contrastive loss that uses it, and the self-distillation term.

Contextualised similarity W of n teacher embeddings t (L2-normalised), no gradient:

* W^P_ij = exp(-||t_i - t_j||^2 / sigma)  (eq. 3.15);
* N_k(i): the k rows of highest W^P (views of the same image counted as 1, so a
  row's own views come first); R(i) = {j in N_k(i) : i in N_k(j)}  (eq. 3.16);
* W~_ij = |R(i) n R(j)| / |R(i)| for j in R(i), else 0  (eq. 3.17);
* W^_ij = mean of W~_hj over h in N_round(k/2)(i)  (query expansion, eq. 3.18);
* W^C = (W^ + W^T) / 2,  W = (W^P + W^C) / 2  (eq. 3.19, 3.20).

Relaxed contrastive loss on embeddings y, with relative distances
d_ij = ||y_i - y_j|| / mean_k ||y_i - y_k|| (eq. 3.21):

    RC = sum_{i != j} [ W_ij d_ij^2 + (1 - W_ij) max(0, delta - d_ij)^2 ] / (n (n - 1))

Self-distillation (eq. 3.22): KL = 1/n sum_i sum_j p_ij log(p_ij / q_ij), p = softmax_j
(-d^g) without gradient, q = softmax_j(-d^f), the diagonal included. STML minimises
1/2 (RC(f) + RC(g)) + KL.
"""

from tfreid.backend import tf
from tfreid.nn.distances import LpDistance, l2_normalize


def top_k_mask(values: tf.Tensor, k: int) -> tf.Tensor:
    """(n, n) float 0 / 1 mask of the k largest entries of each row (ties: the lower index
    first). Float, never bool: Grappler moves a transpose of a cast bool mask before the
    cast, and oneDNN then logs an error line for the bool transpose."""
    k = tf.minimum(k, tf.shape(values)[1])
    top = tf.math.top_k(values, k=k, sorted=True).indices
    return tf.reduce_max(tf.one_hot(top, tf.shape(values)[1]), axis=1)


def contextual_similarity(teacher: tf.Tensor, same_image: tf.Tensor, k: int,
                          sigma: float) -> tf.Tensor:
    """W (n, n) of the teacher embeddings (module docstring), without gradient."""
    t = tf.stop_gradient(l2_normalize(tf.cast(teacher, tf.float32)))
    pairwise = tf.exp(-LpDistance(power=2).matrix(t, t) / sigma)
    ranking = tf.where(same_image, 1.0, pairwise)
    neighbours = top_k_mask(ranking, k)
    reciprocal = neighbours * tf.transpose(neighbours)
    overlap = tf.matmul(reciprocal, reciprocal, transpose_b=True)
    weighted = reciprocal * overlap / tf.maximum(tf.reduce_sum(reciprocal, 1, keepdims=True),
                                                 1.0)
    half = top_k_mask(ranking, max(1, round(k / 2)))
    expanded = tf.matmul(half, weighted) / tf.reduce_sum(half, 1, keepdims=True)
    context = (expanded + tf.transpose(expanded)) / 2.0
    return (pairwise + context) / 2.0


def relative_distances(embeddings: tf.Tensor) -> tf.Tensor:
    """d_ij = ||y_i - y_j|| / mean_k ||y_i - y_k|| (the diagonal is exactly 0)."""
    d = LpDistance().matrix(embeddings, embeddings) * (1.0 - tf.eye(tf.shape(embeddings)[0]))
    return d / tf.maximum(tf.reduce_mean(d, axis=1, keepdims=True), 1e-12)


def relaxed_contrastive_loss(similarity: tf.Tensor, embeddings: tf.Tensor,
                             delta: float) -> tf.Tensor:
    """RC (module docstring) of ``embeddings`` under the targets ``similarity``."""
    d = relative_distances(tf.cast(embeddings, tf.float32))
    n = tf.cast(tf.shape(d)[0], tf.float32)
    off_diagonal = 1.0 - tf.eye(tf.shape(d)[0])
    terms = similarity * tf.square(d) + (1.0 - similarity) * tf.square(tf.nn.relu(delta - d))
    return tf.reduce_sum(terms * off_diagonal) / (n * (n - 1.0))


def self_distillation_kl(student: tf.Tensor, reference: tf.Tensor) -> tf.Tensor:
    """KL(softmax(-d^reference) || softmax(-d^student)) per row, averaged; no gradient
    through the reference (module docstring)."""
    p_logits = -relative_distances(tf.stop_gradient(tf.cast(reference, tf.float32)))
    q_logits = -relative_distances(tf.cast(student, tf.float32))
    p = tf.nn.softmax(p_logits, axis=1)
    kl = tf.reduce_sum(p * (tf.nn.log_softmax(p_logits, 1) - tf.nn.log_softmax(q_logits, 1)), 1)
    return tf.reduce_mean(kl)


def self_taught_loss(similarity: tf.Tensor, f: tf.Tensor, g: tf.Tensor,
                     delta: float) -> tf.Tensor:
    """STML's total: 1/2 (RC(f) + RC(g)) + KL(f, g)."""
    rc = relaxed_contrastive_loss(similarity, f, delta) + relaxed_contrastive_loss(
        similarity, g, delta)
    return 0.5 * rc + self_distillation_kl(f, g)

"""Masked reductions over a (B, B) matrix of pair terms, one row per anchor.

Every batch loss of the family ends in one of these. Masked-out entries get
neither value nor gradient, and a row with no entry gives 0, so anchors without
a positive (or negative) in the batch contribute nothing and never a NaN.
"""

from tfreid.backend import tf


def masked_mean(values: tf.Tensor, mask: tf.Tensor, axis: int = -1) -> tf.Tensor:
    """Mean of ``values`` over the entries where ``mask`` is true; 0 for an empty row."""
    mask = tf.cast(mask, values.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(values * mask, axis), tf.reduce_sum(mask, axis))


def masked_logsumexp(values: tf.Tensor, mask: tf.Tensor, axis: int = -1) -> tf.Tensor:
    """log sum_{mask} exp(values) along ``axis``; 0 (not -inf) for an empty row.

    Masked-out entries are set to the dtype's lowest value, whose exp is 0 after
    the max is subtracted, so the gradient is finite everywhere.
    """
    filled = tf.where(mask, values, values.dtype.min)
    value = tf.reduce_logsumexp(filled, axis=axis)
    return tf.where(tf.reduce_any(mask, axis=axis), value, tf.zeros_like(value))


def log1p_sum_exp(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """log(1 + sum_{mask} exp(values)) along the last axis, computed stably."""
    zero = tf.zeros_like(values[..., :1])
    with_one = tf.concat([zero, values], axis=-1)
    keep_one = tf.concat([tf.ones_like(mask[..., :1]), mask], axis=-1)
    return masked_logsumexp(with_one, keep_one)

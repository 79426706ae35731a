"""Distances and similarities between embeddings, as objects a loss or miner is given.

As in pytorch-metric-learning, a loss never computes its own geometry: it is
handed a ``Distance`` and reads ``matrix(queries, keys)``:

* ``LpDistance(power=1)``: the l2 distance ||a - b|| (``power=2``: squared);
* ``CosineSimilarity()``: a.b / (|a| |b|) (the thesis' S);
* ``DotProductSimilarity()``: a.b (the original N-pair loss).

``is_similarity`` says which way is "closer"; ``margin(x, y)`` is how much
closer y is than x, whatever the kind, so one formula serves both (PML's
``distance.margin``). Every method is plain tensor ops with static shapes, so
losses compile under XLA. The l2 distance is exactly 0 between equal rows, with
a zero gradient there, and a bounded gradient elsewhere.
"""

from typing import Any

import numpy as np

from tfreid.backend import keras, serializable, tf
from tfreid.errors import ConfigError


def safe_sqrt(squared: tf.Tensor) -> tf.Tensor:
    """sqrt(x) for x > 0, exactly 0 for x <= 0 with a zero (not NaN) gradient there; NaN
    stays NaN.

    The square root is taken of 1 where x <= 0 and that branch is discarded, so
    its infinite derivative at 0 never meets the zero upstream gradient; no floor
    is added, so it holds in float16 too (where a 1e-12 floor would underflow).
    """
    positive = squared > 0
    return tf.where(positive, tf.sqrt(tf.where(positive, squared, tf.ones_like(squared))),
                    squared * 0.0)  # 0, or NaN for NaN: a diverged run must not look finite


def expansion_error_bound(norms: tf.Tensor, dim: tf.Tensor) -> tf.Tensor:
    """(D + 2) eps (|q|^2 + |k|^2): the most |q|^2 - 2 q.k + |k|^2, computed in ``norms``'
    dtype (unit round-off u = eps / 2), can be from ||q - k||^2, given ``norms`` = |q|^2 + |k|^2.

    Each of the three dot products is within D u of its value relative to its sum of
    absolute terms, whatever order the terms are added in (Higham, Accuracy and
    Stability, 3.1; XLA, BLAS tiling and FMA included), and |2 q.k| <= |q|^2 + |k|^2: together
    2 D u (|q|^2 + |k|^2); the two additions of at most 2 (|q|^2 + |k|^2) add 2 u each.
    It assumes the matmul rounds like its dtype: TensorFloat-32 (TensorFlow's default for
    float32 matmuls on Ampere and later GPUs) first rounds q.k's inputs to 10 bits, up to
    2^-10 |q| |k| more, which the bound leaves out; where equal rows must give exactly 0
    there, turn it off (``tf.config.experimental.enable_tensor_float_32_execution(False)``).
    """
    eps = np.finfo(norms.dtype.as_numpy_dtype).eps
    return (tf.cast(dim, norms.dtype) + 2.0) * eps * norms


def _widened(*tensors: tf.Tensor) -> list[tf.Tensor]:
    """The tensors in float64 if one is float64, else in float32 (half precision is exactly
    representable there, and its products too)."""
    dtype = tf.float64 if any(t.dtype == tf.float64 for t in tensors) else tf.float32
    return [tf.cast(t, dtype) for t in tensors]


def pair_distance(a: tf.Tensor, b: tf.Tensor, squared: bool = False) -> tf.Tensor:
    """Row-wise Euclidean (or squared) distance between two (..., D) tensors."""
    squared_distance = tf.reduce_sum(tf.square(a - b), axis=-1)
    return squared_distance if squared else safe_sqrt(squared_distance)


def l2_normalize(embeddings: tf.Tensor) -> tf.Tensor:
    """f / max(|f|, 1e-6): a zero vector stays zero and its gradient stays finite."""
    return tf.math.l2_normalize(embeddings, axis=-1, epsilon=1e-12)


class Distance:
    """Base of the distances: ``matrix``, ``is_similarity`` and ``margin``."""

    is_similarity = False

    def __init__(self, normalize_embeddings: bool = False):
        self.normalize_embeddings = bool(normalize_embeddings)

    def prepare(self, embeddings: tf.Tensor) -> tf.Tensor:
        return l2_normalize(embeddings) if self.normalize_embeddings else embeddings

    def matrix(self, queries: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        """(B, N) values between every query and every key."""
        return self.compute(self.prepare(queries), self.prepare(keys))

    def compute(self, queries: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def margin(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """How much closer y is than x: x - y for distances, y - x for similarities."""
        return y - x if self.is_similarity else x - y

    def closest(self, values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        """Per row, the closest value among ``mask`` (a sentinel where none)."""
        if self.is_similarity:
            return tf.reduce_max(tf.where(mask, values, values.dtype.min), axis=-1)
        return tf.reduce_min(tf.where(mask, values, values.dtype.max), axis=-1)

    def farthest(self, values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        """Per row, the farthest value among ``mask`` (a sentinel where none)."""
        if self.is_similarity:
            return tf.reduce_min(tf.where(mask, values, values.dtype.max), axis=-1)
        return tf.reduce_max(tf.where(mask, values, values.dtype.min), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {"normalize_embeddings": self.normalize_embeddings}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Distance":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


@serializable
class LpDistance(Distance):
    """The l2 distance ||a - b|| (``power=2``: its square), between raw or normalised rows.

    ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2 (one matmul, no (Q, K, D) difference), with
    every row first centred on the keys' mean c, in float32 (float64 for float64 rows;
    half-precision rows are widened, exactly). The rule: where that value is at most
    ``expansion_error_bound`` (what round-off can make of an exact 0) the distance is
    exactly 0 with a zero gradient, so a query against itself or an equal key is exactly 0
    (as are rows closer than the expansion can resolve: at most 2 sqrt((D + 2) eps)
    max(|a - c|, |b - c|) apart, 4e-3 of the rows' spread at D = 32 in float32; centring
    keeps collapsed embeddings far from the origin, as a fresh encoder gives, apart and
    learning); elsewhere it is the square root of the expansion, within bound / ||a - b||
    of the true distance, and its gradient (a - b) / sqrt(value) is below sqrt(2) in norm
    (||a - b||^2 <= value + bound < 2 value).
    """

    def __init__(self, power: int = 1, normalize_embeddings: bool = False):
        super().__init__(normalize_embeddings)
        if power not in (1, 2):
            raise ConfigError(f"LpDistance power must be 1 or 2, got {power}")
        self.power = int(power)

    def compute(self, queries: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        queries, keys = _widened(queries, keys)
        # centred on the keys' mean (the distances stay the same; so do their gradients, as
        # the centre is held constant), the norms, and with them the round-off, scale with
        # how far the rows are apart rather than how far they are from the origin
        centre = tf.stop_gradient(tf.reduce_mean(keys, 0, keepdims=True))
        queries, keys = queries - centre, keys - centre
        norms_q = tf.reduce_sum(tf.square(queries), 1)[:, None]
        norms_k = tf.reduce_sum(tf.square(keys), 1)[None, :]
        squared = norms_q - 2.0 * tf.matmul(queries, keys, transpose_b=True) + norms_k
        bound = expansion_error_bound(norms_q + norms_k, tf.shape(queries)[1])
        squared = tf.where(squared <= bound, tf.zeros_like(squared), squared)  # NaN stays
        return squared if self.power == 2 else safe_sqrt(squared)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "power": self.power}


@serializable
class CosineSimilarity(Distance):
    """a.b / (|a| |b|) (thesis 003, section 2.3.3): the dot product of normalised rows."""

    is_similarity = True

    def __init__(self):
        super().__init__(normalize_embeddings=True)

    def compute(self, queries: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        return tf.matmul(queries, keys, transpose_b=True)

    def get_config(self) -> dict[str, Any]:
        return {}


@serializable
class DotProductSimilarity(Distance):
    """a.b of the rows as they are (Sohn's N-pair loss); ``normalize_embeddings`` = cosine."""

    is_similarity = True

    def compute(self, queries: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
        return tf.matmul(queries, keys, transpose_b=True)


def squared_euclidean_distance() -> LpDistance:
    """The squared Euclidean distance (psorus/cf's triplet distance)."""
    return LpDistance(power=2)


def get_distance(distance: "str | Distance | dict | None", default: str = "euclidean") -> Distance:
    """A Distance from an object, a name of ``tfreid.catalog.DISTANCES`` or its config."""
    if distance is None:
        distance = default
    if isinstance(distance, Distance):
        return distance
    if isinstance(distance, dict):
        return keras.saving.deserialize_keras_object(distance)
    from tfreid.catalog import DISTANCES

    return DISTANCES.get(distance)()


def require_similarity(distance: Distance, loss: str) -> Distance:
    """``distance`` if it is a similarity, else ConfigError (the loss's formula needs S)."""
    if not distance.is_similarity:
        raise ConfigError(f"{loss} is defined on a similarity: use CosineSimilarity() or "
                          f"DotProductSimilarity(), not {type(distance).__name__}")
    return distance

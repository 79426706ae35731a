"""How far apart two float32 computations of one value may be when they add up in another order.

Exact equality is the rule where the same kernels run in the same order on the same
batches: streamed against in-memory input, a resumed run (or cluster) against an
uninterrupted one, a repeated call, a saved and reloaded array; a skipped batch or a
different image fails such a test at once. The tolerances here are for two computations
whose sums run in another order: one device against replicas or workers, an export against
the Keras model it came from, a sliced or factorised model against the layers it was cut
from. Across machines the order changes again: AVX2 against AVX-512 kernels, 1 against 16
threads, oneDNN on or off (``tests/numeric_matrix.sh`` runs the order-sensitive tests under
each).

The rule, for a value of size ``magnitude``::

    tolerance = SAFETY * EPS * sqrt(terms) * steps * gain * magnitude

* ``EPS`` = 2^-23, float32's machine epsilon: each addition is exact to within EPS / 2 of
  its result.
* ``terms``: how many values the largest reduction whose order differs adds up (a dot
  product's length, the rows and pixels a gradient sums over). Each addition's rounding is
  its own, of either sign, so over n terms they add up like a random walk, to about
  sqrt(n) EPS of the sum (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
  sections 2.8 and 4.2; the worst case, n EPS, needs every rounding to go the same way).
* ``steps``: training steps between the shared start and the compared value. Each step adds
  its own rounding to the weights, and over a few small steps a difference is carried on,
  neither damped nor blown up, so the differences of the steps add: linear in ``steps``.
* ``gain``: how much the compared value amplifies a relative change of what it is computed
  from: 1 for weights, embeddings and smooth losses; a loss that selects pairs by a
  threshold or an argmax (hardest negative, mining margin, nearest neighbours) jumps when
  round-off decides a near tie the other way, and says by how much where it is used.
* ``SAFETY`` = 4: four standard deviations of the random walk.

A tolerance must stay far below what a defect does: the replica tests also show that
replicas which do not gather miss their tolerances several times over.
"""

import math

import numpy as np

EPS = 2.0 ** -23
SAFETY = 4.0


def float32_tolerance(magnitude: float, terms: int, steps: int = 1, gain: float = 1.0) -> float:
    """The absolute tolerance of the rule above for a value of size ``magnitude``."""
    if magnitude < 0 or terms < 1 or steps < 1 or gain < 1:
        raise ValueError("magnitude >= 0, terms >= 1, steps >= 1 and gain >= 1")
    return SAFETY * EPS * math.sqrt(terms) * steps * gain * magnitude


def conv_gradient_terms(batch: int, image_size: int) -> int:
    """Terms of a convolution kernel's gradient over a batch: every row and pixel of the
    first layer's output (stride 1, 'same' padding) adds one."""
    return batch * image_size * image_size


def network_terms(model) -> tuple[int, int]:
    """(terms, layers) of a Keras network for ``float32_tolerance``: its longest dot product
    (a Dense layer's inputs, a convolution's kernel height x width x input channels) and the
    number of layers with weights, each of which adds its own rounding and carries on the
    earlier ones' (as training steps do)."""
    weighted = [layer for layer in _leaf_layers(model) if layer.get_weights()]
    lengths = [int(np.prod(layer.get_weights()[0].shape[:-1])) for layer in weighted]
    return max(lengths, default=1), max(len(weighted), 1)


def _leaf_layers(model) -> list:
    inner = getattr(model, "layers", None)
    return [leaf for layer in inner for leaf in _leaf_layers(layer)] if inner else [model]


def assert_float32_close(actual, expected, terms: int, steps: int = 1,
                         gain: float = 1.0) -> None:
    """``actual`` equals ``expected`` within ``float32_tolerance`` of ``expected``'s largest
    absolute value."""
    expected = np.asarray(expected, dtype=np.float64)
    tolerance = float32_tolerance(float(np.abs(expected).max(initial=0.0)), terms, steps, gain)
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=0,
                               atol=tolerance)

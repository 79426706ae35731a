"""InsCLR's candidate pool and its positive mining (Deng et al., 2022; thesis 003, 3.2).

* The candidate pool of an image: its P nearest images by inner product of
  L2-normalised features averaged over scales {1, 1/sqrt 2, 1/2} (InsCLR's
  compute_candidate_pool.py; exact faiss search, itself excluded).
* Band mining of the last cycle (xbmv2.py; the thesis' Algorithm 1 with
  T_h2 = 0.6): within an image's pool, similarity >= ``high`` (0.75) is a
  positive, < ``low`` (0.5) a negative; the band between is mined in
  ``passes`` (4) passes: each candidate's score is its mean similarity to the
  current positives (the image itself included); those scoring >= ``threshold``
  (0.6), at most ``top`` (5) of them per pass, the highest first, join the
  positives. What is left in the band is neither.
"""

import numpy as np

from tfreid.training.self_supervised.neighbours import nearest_neighbours

SCALES = (1.0, 2 ** -0.5, 0.5)


def normalise(features: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def candidate_pool(features: np.ndarray, size: int) -> np.ndarray:
    """(N, size) indices of each image's most similar others, by inner product."""
    return nearest_neighbours(normalise(features), size, metric="dot")[0]


def band_masks(features: np.ndarray, pool: np.ndarray, high: float = 0.75, low: float = 0.5,
               threshold: float = 0.6, passes: int = 4,
               top: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(positive, negative) (N, P) masks over each image's pool (module docstring)."""
    features = normalise(np.asarray(features, np.float64))
    positive = np.zeros(pool.shape, bool)
    negative = np.zeros(pool.shape, bool)
    for image, members in enumerate(pool):
        similarity = features[members] @ features[image]
        positive[image] = similarity >= high
        negative[image] = similarity < low
        band = ~positive[image] & ~negative[image]
        chosen = [image, *members[positive[image]]]
        for _ in range(passes):
            candidates = np.flatnonzero(band)
            if not len(candidates):
                break
            scores = (features[members[candidates]] @ features[chosen].T).mean(axis=1)
            eligible = candidates[scores >= threshold]
            if not len(eligible):
                break
            ranked = eligible[np.argsort(-scores[scores >= threshold], kind="stable")][:top]
            positive[image, ranked] = True
            band[ranked] = False
            chosen.extend(members[ranked])
    return positive, negative

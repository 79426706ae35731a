"""Correlation measures of a learned representation (Klüttermann et al., paper 000).

For embeddings r (N samples x D features), Pearson correlation of features mu, nu:

    corr^{mu nu} = 1/N sum_i (r_i^nu - mean^nu)(r_i^mu - mean^mu) / (std^nu std^mu)   (eq. 3)

mean Absolute Correlation over the D(D-1)/2 pairs above the diagonal:

    mAC = 2 / (D (D - 1)) sum_nu sum_{mu > nu} |corr^{mu nu}|                      (eq. 2)

and the number of Correlated Features, CF = D - rank(r)                         (eq. 4).
"""

import numpy as np

from tfreid.errors import DataError


def _as_matrix(embeddings: np.ndarray) -> np.ndarray:
    r = np.asarray(embeddings)
    if r.ndim != 2 or r.shape[0] < 2 or r.shape[1] < 2:
        raise DataError(f"need embeddings of shape (N >= 2, D >= 2), got {r.shape}")
    return r


def feature_correlation_matrix(embeddings: np.ndarray) -> np.ndarray:
    """D x D Pearson correlations between features (eq. 3).

    A constant feature has no defined correlation; it is given correlation 1
    with every feature: a feature that never changes carries no information of
    its own, so it counts as fully redundant (the worst case for mAC).
    """
    r = _as_matrix(embeddings).astype(np.float64)
    centred = r - r.mean(axis=0)
    std = np.sqrt((centred**2).mean(axis=0))
    constant = std <= 1e-12 * max(1.0, float(np.abs(r).max()))
    safe_std = np.where(constant, 1.0, std)
    corr = (centred.T @ centred) / (r.shape[0] * np.outer(safe_std, safe_std))
    corr = np.clip(corr, -1.0, 1.0)
    corr[constant, :] = 1.0
    corr[:, constant] = 1.0
    return corr


def mean_absolute_correlation(embeddings: np.ndarray) -> float:
    """mAC (eq. 2): mean |Pearson correlation| over feature pairs mu > nu.

    The diagonal (each feature with itself) is excluded; constant features count
    as correlation 1 (see ``feature_correlation_matrix``). Range [0, 1].
    """
    corr = feature_correlation_matrix(embeddings)
    upper = np.triu_indices(corr.shape[0], k=1)
    return float(np.abs(corr[upper]).mean())


def correlated_features(embeddings: np.ndarray, tol: float | None = None) -> int:
    """CF (eq. 4): D - rank(r), r the N x D matrix of embeddings (not centred).

    The rank is NumPy's ``matrix_rank`` of r in its own dtype: singular values
    below ``tol`` count as zero, by default S.max() * max(N, D) * eps(dtype), the
    tolerance the paper's code (psorus/cf) used on float32 predictions.
    """
    r = _as_matrix(embeddings)
    if not np.issubdtype(r.dtype, np.floating):
        r = r.astype(np.float64)
    return int(r.shape[1] - np.linalg.matrix_rank(r, tol=tol))

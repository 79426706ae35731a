"""alpha-QE and DBA against their formulas worked one vector at a time, and by hand."""

import numpy as np
import pytest

from tfreid.errors import ConfigError, DataError
from tfreid.retrieval.expansion import database_augmentation, query_expansion


def unit(v):
    return v / np.linalg.norm(v)


def expanded_one(x, others, k, alpha):
    """normalise(x + sum of max(sim, 0)^alpha y over the k unit rows of ``others`` most
    similar to unit x), in float64."""
    x = unit(x.astype(np.float64))
    others = others.astype(np.float64) / np.linalg.norm(others, axis=1, keepdims=True)
    similarity = others @ x
    total = x.copy()
    for j in np.argsort(-similarity, kind="stable")[:k]:
        total += max(similarity[j], 0.0) ** alpha * others[j]
    return unit(total)


def features(n, dim=24, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, dim))
    return (centres[rng.integers(0, 8, n)] + 0.7 * rng.normal(size=(n, dim))).astype(np.float32)


# the loop and the module compute in float64 from the same float32 inputs and round the
# unit result to float32: 2^-24 relative each, far inside 1e-6 on components <= 1
@pytest.mark.parametrize("k, alpha", [(4, 3.0), (1, 0.0), (10, 1.0), (0, 3.0)])
def test_query_expansion_equals_the_formula_per_query(k, alpha):
    query, gallery = features(30, seed=1), features(200)
    expected = [expanded_one(q, gallery, k, alpha) for q in query]
    found = query_expansion(query, gallery, k, alpha)
    assert found.dtype == np.float32
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("k, alpha", [(4, 3.0), (2, 0.0)])
def test_database_augmentation_equals_the_formula_per_gallery_vector(k, alpha):
    gallery = features(150)
    expected = [expanded_one(g, np.delete(gallery, j, axis=0), k, alpha)
                for j, g in enumerate(gallery)]
    np.testing.assert_allclose(database_augmentation(gallery, k, alpha), expected,
                               rtol=0, atol=1e-6)


def test_by_hand():
    # query (1, 0); gallery (0.6, 0.8) at cosine 0.6, (0, 1) at 0, (-1, 0) at -1
    query = np.array([[2.0, 0.0]])
    gallery = np.array([[0.6, 0.8], [0.0, 3.0], [-1.0, 0.0]])
    # k = 1, alpha = 2: (1, 0) + 0.36 (0.6, 0.8) = (1.216, 0.288)
    np.testing.assert_allclose(query_expansion(query, gallery, 1, 2.0)[0],
                               np.array([1.216, 0.288]) / np.hypot(1.216, 0.288), atol=1e-7)
    # k = 3, alpha = 0 (average QE): all weigh 1: (1, 0) + (0.6, 0.8) + (0, 1) + (-1, 0)
    np.testing.assert_allclose(query_expansion(query, gallery, 3, 0.0)[0],
                               np.array([0.6, 1.8]) / np.hypot(0.6, 1.8), atol=1e-7)
    # k = 3, alpha = 1: (0, 1) weighs 0 and (-1, 0) max(-1, 0) = 0: (1, 0) + 0.6 (0.6, 0.8)
    np.testing.assert_allclose(query_expansion(query, gallery, 3, 1.0)[0],
                               np.array([1.36, 0.48]) / np.hypot(1.36, 0.48), atol=1e-7)
    # DBA, k = 1, alpha = 1: (0, 1)'s nearest other is (0.6, 0.8) at 0.8:
    # (0, 1) + 0.8 (0.6, 0.8) = (0.48, 1.64)
    np.testing.assert_allclose(database_augmentation(gallery, 1, 1.0)[1],
                               np.array([0.48, 1.64]) / np.hypot(0.48, 1.64), atol=1e-7)


def test_equal_gallery_vectors_augment_each_other_not_themselves():
    gallery = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    # each copy's nearest other is the other copy: (1, 0) + (1, 0), unit (1, 0)
    np.testing.assert_allclose(database_augmentation(gallery, 1, 1.0)[:2], [[1, 0], [1, 0]])
    # (0, 1) with k larger than the other vectors: both copies at cosine 0, weight 0^0 = 1
    np.testing.assert_allclose(database_augmentation(gallery, 5, 0.0)[2],
                               unit(np.array([2.0, 1.0])), atol=1e-7)


def test_refuses_bad_arguments():
    with pytest.raises(ConfigError, match="k and alpha"):
        query_expansion(np.ones((2, 3)), np.ones((2, 3)), k=-1)
    with pytest.raises(DataError, match="dim"):
        query_expansion(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(DataError, match="finite"):
        database_augmentation(np.array([[np.nan, 1.0]]))

"""Keeping some output dimensions: slicing (paper 001) and the pruning step.

Keeping dimensions ``keep`` of the head W (in x D), b (D) gives W[:, keep],
b[keep]: the embedding's other coordinates are simply dropped.
"""

import numpy as np

from tfreid.backend import keras
from tfreid.compression.head import embedding_head, replace_head
from tfreid.errors import ConfigError


def select_dimensions(encoder: keras.Model, keep: np.ndarray, name: str) -> keras.Model:
    """A copy of ``encoder`` whose embedding holds only the output dimensions ``keep``."""
    kernel, bias = embedding_head(encoder).get_weights()
    keep = np.asarray(keep, dtype=np.int64)
    if keep.size == 0 or keep.min() < 0 or keep.max() >= kernel.shape[1] \
            or len(set(keep.tolist())) != keep.size:
        raise ConfigError(f"cannot keep dimensions {keep.tolist()[:8]}... of a "
                          f"{kernel.shape[1]}-d embedding")
    return replace_head(encoder, [(keep.size, kernel[:, keep], bias[keep])], name)


def sliced_encoder(encoder: keras.Model, dim: int) -> keras.Model:
    """The first ``dim`` dimensions (001's slicing; apply to a fresh encoder to slice at
    initialisation: the kept columns have the full-width layer's initial values)."""
    return select_dimensions(encoder, np.arange(dim), f"{encoder.name}_slice{dim}")


def dimension_norms(encoder: keras.Model) -> np.ndarray:
    """Frobenius norm of each output dimension's weights: ||[W[:, j]; b[j]]||_2."""
    kernel, bias = embedding_head(encoder).get_weights()
    return np.sqrt((kernel ** 2).sum(axis=0) + bias ** 2)


def prune_dimensions(encoder: keras.Model, dim: int) -> keras.Model:
    """Keep the ``dim`` output dimensions of largest norm (in their original order)."""
    keep = np.sort(np.argsort(-dimension_norms(encoder), kind="stable")[:dim])
    return select_dimensions(encoder, keep, f"{encoder.name.split('_prune')[0]}_prune{dim}")

"""Low-rank factorisation of the embedding head (paper 001).

The trained head W (in x D) = U S V^T is replaced, for a rank r, by

* ``output="full"``: Dense(in -> r, kernel U_r S_r, no bias) then
  Dense(r -> D, kernel V_r^T, bias b): the same D-d embedding space, of rank r;
* ``output="low"``: one Dense(in -> r, kernel U_r S_r, bias b V_r): r-d
  embeddings. Since V_r has orthonormal columns, their Euclidean distances equal
  those of the "full" variant (the bias part outside V_r is a constant offset).

At r = min(in, D) the "full" variant reproduces the original embeddings.
The factors are then fine-tuned.
"""

import numpy as np

from tfreid.backend import keras
from tfreid.compression.head import embedding_head, replace_head
from tfreid.errors import ConfigError

OUTPUTS = ("low", "full")


def low_rank_factorize(encoder: keras.Model, rank: int, output: str = "low") -> keras.Model:
    """A copy of ``encoder`` with its head factorised at ``rank`` by SVD (module docstring)."""
    if output not in OUTPUTS:
        raise ConfigError(f"unknown low-rank output {output!r}; choose from {', '.join(OUTPUTS)}")
    kernel, bias = (w.astype(np.float64) for w in embedding_head(encoder).get_weights())
    if not 1 <= rank <= min(kernel.shape):
        raise ConfigError(f"rank must lie in [1, {min(kernel.shape)}] for a {kernel.shape[0]} x "
                          f"{kernel.shape[1]} head, got {rank}")
    u, s, vt = np.linalg.svd(kernel, full_matrices=False)
    first = (u[:, :rank] * s[:rank]).astype(np.float32)
    name = f"{encoder.name}_rank{rank}"
    if output == "low":
        return replace_head(encoder, [(rank, first, (bias @ vt[:rank].T).astype(np.float32))],
                            name)
    return replace_head(encoder, [(rank, first, None),
                                  (kernel.shape[1], vt[:rank].astype(np.float32),
                                   bias.astype(np.float32))], name)

"""The compression methods of paper 001's sweep, one function each, named in
``tfreid.catalog.COMPRESSIONS``.

Each takes the trained baseline (D dims), the target dims in descending order, the run's
config and data, the fine-tuning budget (epochs) and a log folder, and yields
``(dim, encoder, epochs trained since the baseline)`` for every target dim:

* ``slicing``: a fresh encoder sliced to d dims at initialisation, trained with the
  baseline's full budget;
* ``low_rank``: the baseline's head factorised at rank d (r-dim output), fine-tuned;
* ``pruning``: iterative, D -> D/2 -> ... -> d, dropping the dims of smallest norm, each
  step fine-tuned on top of the one before (paper 001: 20 % of the epochs a step).
"""

from collections.abc import Iterator
from pathlib import Path

from tfreid.backend import keras
from tfreid.compression.low_rank import low_rank_factorize
from tfreid.compression.selection import prune_dimensions, sliced_encoder
from tfreid.models import build_encoder
from tfreid.training.config import RunConfig
from tfreid.training.engine import fine_tune

Compressed = Iterator[tuple[int, keras.Model, int]]


def slicing(baseline: keras.Model, dims: tuple[int, ...], config: RunConfig, data: dict,
            finetune_epochs: int, log_root: Path) -> Compressed:
    """A fresh encoder sliced to each dim, trained for the baseline's whole budget."""
    full_dim = int(baseline.output_shape[-1])
    for dim in dims:
        keras.utils.set_random_seed(config.seed)
        fresh = build_encoder(config.backbone, config.image_shape(), full_dim,
                              **config.encoder_options())
        yield dim, fine_tune(sliced_encoder(fresh, dim), config, data, config.epochs,
                             log_root / f"slicing{dim}"), config.epochs


def low_rank(baseline: keras.Model, dims: tuple[int, ...], config: RunConfig, data: dict,
             finetune_epochs: int, log_root: Path) -> Compressed:
    """The baseline's head factorised at each rank, fine-tuned for ``finetune_epochs``."""
    for dim in dims:
        encoder = low_rank_factorize(baseline, dim, output="low")
        yield dim, fine_tune(encoder, config, data, finetune_epochs,
                             log_root / f"low_rank{dim}"), finetune_epochs


def pruning(baseline: keras.Model, dims: tuple[int, ...], config: RunConfig, data: dict,
            finetune_epochs: int, log_root: Path) -> Compressed:
    """The dims of smallest norm dropped step by step, each step fine-tuned on the last."""
    current = baseline
    for step, dim in enumerate(dims, start=1):
        current = fine_tune(prune_dimensions(current, dim), config, data, finetune_epochs,
                            log_root / f"pruning{dim}")
        yield dim, current, finetune_epochs * step

"""The training engine, its run configuration and methods.

``train(RunConfig.for_method(name, ...))`` trains any method of
``tfreid.catalog.METHODS``; ``load_run`` reads a finished run back. The names
load on first use, so ``tfreid.training.config`` imports without TensorFlow.
"""

import importlib

_EXPORTS = {"RunConfig": "tfreid.training.config", "train": "tfreid.training.engine",
            "fine_tune": "tfreid.training.engine", "load_run": "tfreid.training.saved_run"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tfreid.training' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)

#!/usr/bin/env python
"""Train an ensemble of triplet submodels: ``python scripts/train_ensemble.py``."""

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from tfreid.cli.train_triplet import ensemble_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(ensemble_main())

#!/usr/bin/env python
"""The bag-of-tricks recipe study: ``python scripts/recipe_study.py --quick``."""

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from tfreid.cli.recipe_study import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

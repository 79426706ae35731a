#!/usr/bin/env python
"""Write TFRecord datasets: ``python scripts/make_tfrecords.py surfaces|folder|market1501``."""

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from tfreid.cli.make_tfrecords import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

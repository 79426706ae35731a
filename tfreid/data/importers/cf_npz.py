"""``make_tfrecords cf-npz FILE``: the ``.npz`` files of psorus/cf (``tfreid.data.cf_npz``)."""

import argparse

from tfreid.data.imported import ImportedDataset
from tfreid.data.importers.base import Importer, Progress


class CfNpzImporter(Importer):
    """A psorus/cf .npz file (x, i, tx, ti, gx, gi)."""

    name = "cf-npz"
    help = "a psorus/cf .npz file (x, i, tx, ti, gx, gi)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("path", help="the .npz file")

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        from tfreid.data.cf_npz import cf_npz_records

        return cf_npz_records(args.path)

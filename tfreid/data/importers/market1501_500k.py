"""Market-1501+500k (Zheng et al., ICCV 2015): Market-1501 as ``market1501`` imports it,
with the ~500,000 images of ``distractors_500k.zip`` appended to the gallery. As
torchreid's ``market1501`` loader reads them (``market1501_500k``), the archive is
extracted into the Market folder as ``images/`` (``--distractors`` names another
folder), its names begin like Market's, ``<id>_c<camera>``, and the camera is read from
there.

Every distractor is a gallery image of identity 0, Market's convention for images no
query matches (junk, identity -1, is dropped as in Market; names that do not parse are
skipped; both are counted in the notes). Protocol: Market's camera rule, recorded with
the count of distractors added as ``{"protocol": {"name": "market1501-500k",
"camera_rule": true, "distractors": N}}``.
"""

import argparse
import re
from pathlib import Path

from tfreid.data.imported import ImportedDataset
from tfreid.data.importers.base import Importer, Progress, count_images, images_in
from tfreid.data.importers.benchmark import parsed_records, require
from tfreid.data.importers.market1501 import MARKET_SPLITS, market1501_records
from tfreid.errors import DataError

DISTRACTOR_NAME = re.compile(r"^(-?\d+)_c(\d+)", re.IGNORECASE)
DISTRACTOR_EXAMPLE = "0000_c1s1_000000_00.jpg"


def parse_distractor_name(name: str) -> tuple[int, int] | None:
    """(0, camera) of a distractor's file name ((-1, camera) if junk), or None."""
    match = DISTRACTOR_NAME.match(name)
    if match is None:
        return None
    return (-1 if match.group(1) == "-1" else 0), int(match.group(2))


def market1501_500k_records(root: str | Path, distractors: str | Path | None = None,
                            progress: Progress = None) -> ImportedDataset:
    """Market-1501's splits with the distractors in the gallery (module docstring)."""
    root = Path(root)
    folder = Path(distractors) if distractors is not None else root / "images"
    require(root, "Market-1501", *(name + "/" for name in MARKET_SPLITS.values()))
    if not folder.is_dir():
        raise DataError(f"{folder} is missing: the folder of Market-1501's 500k distractors "
                        "(distractors_500k.zip extracted)")
    imported = market1501_records(root, progress)
    added = parsed_records(images_in(folder, imported.notes), parse_distractor_name,
                           DISTRACTOR_EXAMPLE, imported.notes, progress)
    if not added:
        raise DataError(f"{folder} holds no distractor image (named like {DISTRACTOR_EXAMPLE})")
    imported.splits["gallery"] += added
    imported.source = f"Market-1501+500k {root} + {folder}"
    imported.extra["protocol"] = {"name": "market1501-500k", "camera_rule": True,
                                  "distractors": len(added)}
    return imported


class Market500kImporter(Importer):
    """``make_tfrecords market1501-500k ROOT`` (module docstring)."""

    name = "market1501-500k"
    help = "a Market-1501 folder plus its 500k distractors (images/) in the gallery"
    default_out = "tfrecords/market1501-500k"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="the Market-1501 folder")
        parser.add_argument("--distractors", help="the distractors folder (default: "
                                                  "ROOT/images)")

    def total(self, args: argparse.Namespace) -> int:
        folder = args.distractors or str(Path(args.root) / "images")
        return count_images(args.root, tuple(MARKET_SPLITS.values())) + count_images(folder)

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        return market1501_500k_records(args.root, args.distractors, progress)

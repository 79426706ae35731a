"""DukeMTMC-reID (Ristani et al., ECCVW 2016; the re-id split of Zheng et al., ICCV 2017),
the ``DukeMTMC-reID/`` folder of ``DukeMTMC-reID.zip``, laid out as Market-1501:
``bounding_box_train/`` -> train (16,522 images of 702 identities), ``query/`` -> query
(2,228), ``bounding_box_test/`` -> gallery (17,661, with 408 distractor identities that no
query shares). Names like ``0001_c2_f0046182.jpg`` give identity 1 and camera 2 (of 8);
the rest is the frame. Identities are kept as named (train and test ones are disjoint).

Protocol (layumi/DukeMTMC-reID_evaluation; torchreid's ``dukemtmcreid`` loader): Market's
camera rule, recorded as ``{"protocol": {"name": "dukemtmcreid", "camera_rule": true}}``.
Junk images (identity -1) are dropped and files whose names do not parse are skipped;
both are counted in the notes.
"""

import argparse
from pathlib import Path

from tfreid.data.imported import ImportedDataset, ImportNotes
from tfreid.data.importers.base import Importer, Progress, count_images, images_in
from tfreid.data.importers.benchmark import name_parser, parsed_records, require

DUKE_SPLITS = {"train": "bounding_box_train", "query": "query", "gallery": "bounding_box_test"}
DUKE_EXAMPLE = "0001_c2_f0046182.jpg"
parse_duke_name = name_parser(r"^(-?\d+)_c(\d+)_f\d+\.jpe?g$")


def dukemtmcreid_records(root: str | Path, progress: Progress = None) -> ImportedDataset:
    """The train / query / gallery splits of a DukeMTMC-reID folder (module docstring)."""
    root = Path(root)
    require(root, "DukeMTMC-reID", *(folder + "/" for folder in DUKE_SPLITS.values()))
    notes = ImportNotes()
    splits = {split: parsed_records(images_in(root / folder, notes), parse_duke_name,
                                    DUKE_EXAMPLE, notes, progress)
              for split, folder in DUKE_SPLITS.items()}
    protocol = {"name": "dukemtmcreid", "camera_rule": True}
    return ImportedDataset(splits, f"DukeMTMC-reID {root}", None, notes,
                           {"protocol": protocol}).check()


class DukeMTMCreIDImporter(Importer):
    """``make_tfrecords dukemtmcreid ROOT`` (module docstring)."""

    name = "dukemtmcreid"
    help = "a DukeMTMC-reID folder (bounding_box_train, query, bounding_box_test)"
    default_out = "tfrecords/dukemtmcreid"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="the DukeMTMC-reID folder")

    def total(self, args: argparse.Namespace) -> int:
        return count_images(args.root, tuple(DUKE_SPLITS.values()))

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        return dukemtmcreid_records(args.root, progress)

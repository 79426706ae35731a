"""CUHK03 (Li et al., CVPR 2014) under the new protocol of Zhong et al. (CVPR 2017, "CUHK03-NP":
767 identities train, 700 test), its ``labeled`` or ``detected`` boxes (``--variant``).

Layout, as torchreid's ``cuhk03`` loader reads it: ``cuhk03_release/cuhk-03.mat`` (MATLAB
v7.3, i.e. HDF5) and the protocol's ``cuhk03_new_protocol_config_labeled.mat`` /
``cuhk03_new_protocol_config_detected.mat`` (MATLAB v5, from zhunzhong07/person-re-ranking).
In ``cuhk-03.mat``, ``labeled`` and ``detected`` are cells of 5 camera pairs, each a cell
of persons x 10 images (1-5 seen by the pair's first camera, 6-10 by its second; empty
where a person has fewer), each an H x W x 3 uint8 array stored transposed, as MATLAB
writes HDF5. Image ``i`` of person ``p`` of pair ``c`` (from 1) is named
``{c}_{p:03d}_{view}_{i:02d}.png`` (``1_001_1_01.png``), the names the config's
``filelist`` uses. The config's ``train_idx`` / ``query_idx`` / ``gallery_idx`` (from 1)
index ``filelist`` and ``labels`` (the identity); its ``camId`` is the view (1 or 2).

Splits: labeled 7,368 train / 1,400 query / 5,328 gallery images, detected 7,365 / 1,400 /
5,332; the images are stored as PNG. The camera is the physical one, 2 x (pair - 1) + view
(1-10): an identity is seen by one pair only, so the camera rule treats it as ``camId``.
Protocol: Market-1501's camera rule, recorded as ``{"protocol": {"name": "cuhk03-np",
"variant": "labeled", "camera_rule": true}}``.
"""

import argparse
import io
from pathlib import Path

from tfreid.data.imported import ImportedDataset
from tfreid.data.importers.base import Importer, Progress
from tfreid.data.importers.benchmark import require
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

VARIANTS = ("labeled", "detected")
RELEASE_MAT = "cuhk03_release/cuhk-03.mat"
SPLIT_FIELDS = {"train": "train_idx", "query": "query_idx", "gallery": "gallery_idx"}


def config_name(variant: str) -> str:
    return f"cuhk03_new_protocol_config_{variant}.mat"


def image_name(pair: int, person: int, index: int) -> str:
    """The name of image ``index`` (0-9) of ``person`` of camera pair ``pair`` (all from 0)."""
    return f"{pair + 1}_{person + 1:03d}_{1 if index < 5 else 2}_{index + 1:02d}.png"


def camera_of(name: str) -> int:
    """The physical camera (1-10) of an image named as ``image_name`` names it."""
    pair, _, view, _ = name.split("_")
    return 2 * (int(pair) - 1) + int(view)


def protocol_split(path: Path) -> tuple[dict[str, list[int]], list[int], list[str]]:
    """(indices from 0 by split, labels, filelist names) of a new-protocol config file."""
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        config = loadmat(str(path))
    except (OSError, ValueError, NotImplementedError, MatReadError) as error:
        raise DataError(f"cannot read {path} (a MATLAB v5 file): {error}") from None
    missing = [f for f in (*SPLIT_FIELDS.values(), "labels", "filelist") if f not in config]
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}: not a CUHK03 protocol config")
    names = [str(entry[0]) for entry in config["filelist"].flatten()]
    labels = [int(label) for label in config["labels"].flatten()]
    indices = {split: [int(i) - 1 for i in config[field].flatten()]
               for split, field in SPLIT_FIELDS.items()}
    if len(labels) != len(names):
        raise DataError(f"{path}: {len(labels)} labels for {len(names)} filelist entries")
    bad = [i + 1 for each in indices.values() for i in each if not 0 <= i < len(names)]
    if bad:
        raise DataError(f"{path}: index {bad[0]} is outside its filelist of {len(names)}")
    return indices, labels, names


def image_refs(mat, variant: str, path: Path) -> dict:
    """HDF5 references to the non-empty ``variant`` images of ``cuhk-03.mat``, by name."""
    if variant not in mat:
        raise DataError(f"{path} has no {variant!r} cell array: not CUHK03's cuhk-03.mat")
    refs = {}
    for pair, pair_ref in enumerate(mat[variant][0]):
        for person, row in enumerate(mat[pair_ref][()].T):
            for index, ref in enumerate(row):
                if mat[ref].ndim == 3 and mat[ref].size:
                    refs[image_name(pair, person, index)] = ref
    return refs


def _png(pixels) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _record(mat, refs: dict, name: str, identity: int, path: Path) -> ImageRecord:
    import numpy as np

    if name not in refs:
        raise DataError(f"{path} has no image {name}, which the protocol's filelist names")
    pixels = np.ascontiguousarray(mat[refs[name]][()].T, dtype=np.uint8)
    return ImageRecord(_png(pixels), identity, camera_of(name), name, *pixels.shape[:2])


def cuhk03_records(root: str | Path, variant: str = "detected",
                   progress: Progress = None) -> ImportedDataset:
    """CUHK03's new-protocol train / query / gallery splits (module docstring)."""
    import h5py

    root = Path(root)
    if variant not in VARIANTS:
        raise DataError(f"CUHK03's variant is one of {', '.join(VARIANTS)}, got {variant!r}")
    require(root, "CUHK03", RELEASE_MAT, config_name(variant))
    indices, labels, names = protocol_split(root / config_name(variant))
    path = root / RELEASE_MAT
    try:
        mat = h5py.File(path, "r")
    except OSError as error:
        raise DataError(f"cannot read {path} (a MATLAB v7.3 / HDF5 file): {error}") from None
    with mat:
        refs = image_refs(mat, variant, path)
        splits = {split: [] for split in indices}
        for split, chosen in indices.items():
            for i in chosen:
                splits[split].append(_record(mat, refs, names[i], labels[i], path))
                if progress:
                    progress(1)
    protocol = {"name": "cuhk03-np", "variant": variant, "camera_rule": True}
    return ImportedDataset(splits, f"CUHK03 {variant} (new protocol) {root}",
                           extra={"protocol": protocol}).check()


class CUHK03Importer(Importer):
    """``make_tfrecords cuhk03 ROOT`` (module docstring)."""

    name = "cuhk03"
    help = "CUHK03, new protocol (cuhk03_release/cuhk-03.mat and the 767/700 config .mat)"
    default_out = "tfrecords/cuhk03"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="the folder of cuhk03_release/ and the config files")
        parser.add_argument("--variant", choices=VARIANTS, default="detected",
                            help="the hand-labelled or the detected bounding boxes")

    def total(self, args: argparse.Namespace) -> int | None:
        try:
            indices, _, _ = protocol_split(Path(args.root) / config_name(args.variant))
        except DataError:
            return None
        return sum(len(chosen) for chosen in indices.values())

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        return cuhk03_records(args.root, args.variant, progress)

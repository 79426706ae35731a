"""A tiny CUHK03 release as its files are: ``cuhk-03.mat`` (MATLAB v7.3, HDF5) and the
new-protocol config files (MATLAB v5), for the CUHK03 importer's tests."""

import h5py
import numpy as np
from scipy.io import savemat

# images of each person (pair, person from 1): which of the 10 cells are filled; the
# detected boxes lack person 2's second image
CUHK_IMAGES = {"labeled": {(1, 1): [0, 1, 5], (1, 2): [0, 1, 5], (1, 3): [0, 1, 5],
                           (2, 1): [0, 1, 5], (2, 2): [0, 6, 7]},
               "detected": {(1, 1): [0, 1, 5], (1, 2): [0, 5], (1, 3): [0, 1, 5],
                            (2, 1): [0, 1, 5], (2, 2): [0, 6, 7]}}
TRAIN_PERSONS = {(1, 1), (1, 2)}  # 767 in the real split; the other 3 are test


def cuhk_pixels(variant, pair, person, index, shape=(6, 4)):
    """A distinct, asymmetric H x W x 3 image (so a wrong transpose shows)."""
    base = (pair * 50 + person * 10 + index + (100 if variant == "detected" else 0)) % 200
    ramp = np.arange(shape[0] * shape[1]).reshape(shape)
    return np.stack([base + ramp, np.full(shape, base), ramp * 2], axis=-1).astype(np.uint8)


def _write_cell(refs_group, cells):
    """A MATLAB cell array: a dataset of object references, stored transposed."""
    name = f"c{len(refs_group)}"
    cell = refs_group.create_dataset(name, data=cells.T, dtype=h5py.ref_dtype)
    cell.attrs["MATLAB_class"] = np.bytes_("cell")
    return cell.ref


def _write_array(refs_group, array):
    name = f"a{len(refs_group)}"
    if array is None:  # MATLAB's empty matrix
        data = refs_group.create_dataset(name, data=np.zeros(2, np.uint64))
        data.attrs["MATLAB_class"] = np.bytes_("double")
        data.attrs["MATLAB_empty"] = np.uint8(1)
    else:
        data = refs_group.create_dataset(name, data=array.T)  # H x W x 3 -> 3 x W x H
        data.attrs["MATLAB_class"] = np.bytes_("uint8")
    return data.ref


def write_cuhk03_mat(path):
    """``cuhk-03.mat`` as MATLAB v7.3 writes it: HDF5 behind a 512-byte header, ``labeled``
    and ``detected`` 5x1 cells (here 2 camera pairs) of persons x 10 cells of images."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w", userblock_size=512) as mat:
        refs_group = mat.create_group("#refs#")
        for variant, filled in CUHK_IMAGES.items():
            pairs = []
            for pair in (1, 2):
                persons = max(p for c, p in filled if c == pair)
                cells = np.empty((persons, 10), dtype=h5py.ref_dtype)
                for person in range(1, persons + 1):
                    for index in range(10):
                        shown = index in filled[(pair, person)]
                        pixels = cuhk_pixels(variant, pair, person, index) if shown else None
                        cells[person - 1, index] = _write_array(refs_group, pixels)
                pairs.append(_write_cell(refs_group, cells))
            top = mat.create_dataset(variant, data=np.array([pairs], dtype=h5py.ref_dtype))
            top.attrs["MATLAB_class"] = np.bytes_("cell")
    with path.open("r+b") as handle:
        handle.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: tfreid test HDF5")


def write_cuhk03_config(path, images):
    """A new-protocol config of ``images`` (CUHK_IMAGES[variant]): filelist, labels, camId,
    and 1-based train/query/gallery indices; each test person's first image of each view
    is a query."""
    names, person_labels, views, split = [], [], [], {"train": [], "query": [], "gallery": []}
    for label, ((pair, person), filled) in enumerate(sorted(images.items()), 1):
        seen_views = set()
        for index in filled:
            view = 1 if index < 5 else 2
            names.append(f"{pair}_{person:03d}_{view}_{index + 1:02d}.png")
            person_labels.append(label)
            views.append(view)
            if (pair, person) in TRAIN_PERSONS:
                split["train"].append(len(names))
            else:
                split["gallery" if view in seen_views else "query"].append(len(names))
            seen_views.add(view)
    column = lambda values: np.asarray(values, float).reshape(-1, 1)  # noqa: E731
    savemat(path, {"filelist": np.asarray(names, dtype=object).reshape(-1, 1),
                   "labels": column(person_labels), "camId": column(views),
                   **{f"{s}_idx": column(indices) for s, indices in split.items()}})


def cuhk03_layout(root):
    write_cuhk03_mat(root / "cuhk03_release" / "cuhk-03.mat")
    for variant in CUHK_IMAGES:
        write_cuhk03_config(root / f"cuhk03_new_protocol_config_{variant}.mat",
                            CUHK_IMAGES[variant])
    return root

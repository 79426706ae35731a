"""Class-labelled image datasets as tfreid records: IDX pairs, Fashion-MNIST, digits.

The class is stored as the record's identity and the camera is 0, so the
tfreid reader, splits and metrics apply unchanged. Splits are ``train`` and
``test``, as the sources ship them.

* IDX files (MNIST, Fashion-MNIST): ``idx_records``. Debian's
  ``dataset-fashion-mnist`` package puts Fashion-MNIST in
  ``FASHION_MNIST_DIR``.
* scikit-learn's digits (1,797 real 8 x 8 handwritten digits, shipped with the
  package): ``digits_records``, split by class-stratified ``test_fraction``.
* MNIST / CIFAR-10 through ``keras.datasets`` (downloads, so unusable offline):
  ``keras_dataset_records``.
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image

from tfreid.data.idx import read_idx
from tfreid.data.imported import ImportedDataset
from tfreid.data.names import CLASS_DATASETS, FASHION_MNIST_DIR, KERAS_DATASETS
from tfreid.data.records import ImageRecord
from tfreid.data.splits import stratified_split
from tfreid.errors import DataError

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")
IDX_NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def array_records(images: np.ndarray, labels: np.ndarray, prefix: str) -> list[ImageRecord]:
    """PNG-encoded records of uint8 images (N, H, W) or (N, H, W, C) with class labels."""
    images, labels = np.asarray(images), np.asarray(labels).reshape(-1)
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or len(images) != len(labels):
        raise DataError(f"{prefix}: need uint8 images (N, H, W[, C]) and N labels, got "
                        f"{images.dtype} {images.shape} and {labels.shape[0]} labels")
    records = []
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        buffer = io.BytesIO()
        Image.fromarray(image.squeeze()).save(buffer, format="PNG")
        records.append(ImageRecord(buffer.getvalue(), int(label), 0, f"{prefix}-{index:06d}.png",
                                   image.shape[0], image.shape[1]))
    return records


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder} has no {stem}[.gz]"
                    + (" (apt-get install dataset-fashion-mnist)"
                       if folder == Path(FASHION_MNIST_DIR) else ""))


def idx_records(folder: str | Path) -> dict[str, list[ImageRecord]]:
    """Train and test splits of an MNIST-layout folder of IDX files (plain or .gz)."""
    folder = Path(folder)
    splits = {}
    for split, (image_stem, label_stem) in IDX_NAMES.items():
        images, labels = read_idx(_find(folder, image_stem)), read_idx(_find(folder, label_stem))
        if len(images) != len(labels):
            raise DataError(f"{folder}: {split} has {len(images)} images but {len(labels)} labels")
        splits[split] = array_records(images, labels, split)
    return splits


def digits_records(test_fraction: float = 0.3, seed: int = 0) -> dict[str, list[ImageRecord]]:
    """scikit-learn's digits (values 0-16, scaled to 0-255) split by class."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    test = stratified_split(digits.target, test_fraction, seed)
    return {"train": array_records(images[~test], digits.target[~test], "train"),
            "test": array_records(images[test], digits.target[test], "test")}


def keras_dataset_records(name: str) -> dict[str, list[ImageRecord]]:
    """MNIST or CIFAR-10 downloaded by ``keras.datasets`` (needs the network)."""
    from tfreid.backend import keras

    if name not in KERAS_DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose from {', '.join(KERAS_DATASETS)}")
    try:
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    except Exception as error:  # any download failure becomes one clear line
        raise DataError(f"could not download {name}: {str(error).splitlines()[0]}") from None
    return {"train": array_records(x_train, y_train, "train"),
            "test": array_records(x_test, y_test, "test")}


def class_dataset_records(
    name: str, root: str | Path = FASHION_MNIST_DIR, test_fraction: float = 0.3, seed: int = 0,
) -> ImportedDataset:
    """A named class dataset: Fashion-MNIST from the IDX folder ``root``, digits split by
    ``test_fraction`` and ``seed``, or a download."""
    if name == "digits":
        if not 0.0 < test_fraction < 1.0:
            raise DataError(f"test fraction must lie in (0, 1), got {test_fraction}")
        return ImportedDataset(digits_records(test_fraction, seed),
                               f"scikit-learn digits test_fraction={test_fraction} seed={seed}")
    if name == "fashion-mnist":
        return ImportedDataset(idx_records(root), f"fashion-mnist {root}",
                               dict(enumerate(FASHION_MNIST_CLASSES)))
    if name in KERAS_DATASETS:
        return ImportedDataset(keras_dataset_records(name), f"keras {name}")
    raise DataError(f"unknown class dataset {name!r}; choose from {', '.join(CLASS_DATASETS)}")


def ensure_class_dataset(name: str, out_dir: str | Path) -> Path:
    """``out_dir`` holding the named class dataset as TFRecords, written if missing."""
    from tfreid.data.writer import write_dataset

    out_dir = Path(out_dir)
    if not (out_dir / "manifest.json").is_file():
        imported = class_dataset_records(name).check()
        write_dataset(out_dir, imported.splits, name=name, source=imported.source,
                      identity_names=imported.identity_names, overwrite=out_dir.exists())
    return out_dir

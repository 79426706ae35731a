"""Import the ``.npz`` files of psorus/cf (paper 000's code).

Images: ``x``, ``i`` (train images and identities), ``tx``, ``ti`` (test queries),
``gx``, ``gi`` (gallery), arrays (N, H, W, 3) or (N, H, W), uint8 or float (values
in [0, 1] are scaled to 0..255). Optional precomputed vectors ``emb``, ``temb``,
``gemb`` with identities ``id``, ``tid``, ``gid`` (the dense-only variant of the
network trained on them). The files carry no cameras: queries get camera 0 and
gallery images camera 1, so no gallery entry is ignored in ranking.
"""

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tfreid.data.imported import ImportedDataset
from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

IMAGE_SPLITS = {"train": ("x", "i"), "query": ("tx", "ti"), "gallery": ("gx", "gi")}
VECTOR_SPLITS = {"train": ("emb", "id"), "query": ("temb", "tid"), "gallery": ("gemb", "gid")}
CAMERAS = {"train": 0, "query": 0, "gallery": 1}


def _load(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise DataError(f"{path} is not a readable .npz file: {error}") from None


def _to_uint8(images: np.ndarray, key: str) -> np.ndarray:
    if images.ndim == 3:
        images = np.repeat(images[..., None], 3, axis=-1)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise DataError(f"array {key!r} has shape {images.shape}; expected (N, H, W[, 3]) "
                        "images (feature vectors go in emb/temb/gemb)")
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    if images.dtype != np.uint8:
        scale = 255.0 if images.size and float(np.nanmax(images)) <= 1.0 else 1.0
        images = np.clip(np.round(images.astype(np.float64) * scale), 0, 255).astype(np.uint8)
    return images


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _identities(values: np.ndarray, key: str) -> np.ndarray:
    """Integer identities, or DataError for NaN, infinite or fractional ones."""
    values = values.reshape(-1)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    whole = np.isfinite(values) & (values == np.round(values)) if values.dtype.kind == "f" \
        else np.zeros(values.shape, bool)
    if not whole.all():
        raise DataError(f"array {key!r} must hold whole-number identities; found "
                        f"{values[~whole][0].item()!r}")
    return values.astype(np.int64)


def cf_npz_records(path: str | Path) -> ImportedDataset:
    """train / query / gallery ImageRecords (PNG-encoded) of a psorus/cf file."""
    archive = _load(path)
    missing = [key for pair in IMAGE_SPLITS.values() for key in pair if key not in archive]
    if missing:
        raise DataError(f"{path} lacks array(s) {', '.join(missing)} of the psorus/cf layout")
    splits = {}
    for split, (image_key, id_key) in IMAGE_SPLITS.items():
        images, ids = _to_uint8(archive[image_key], image_key), _identities(archive[id_key], id_key)
        if len(images) != len(ids):
            raise DataError(f"{path}: {image_key} has {len(images)} images, {id_key} "
                            f"{len(ids)} identities")
        splits[split] = [ImageRecord(_png(pixels), int(identity), CAMERAS[split],
                                     f"{image_key}_{index:06d}.png", *pixels.shape[:2])
                         for index, (pixels, identity) in enumerate(zip(images, ids, strict=True))]
    return ImportedDataset(splits, f"psorus/cf npz {path}").check()


def cf_npz_vectors(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{split: (embeddings, identities)} of the precomputed vectors in a psorus/cf file."""
    archive = _load(path)
    present = {split: keys for split, keys in VECTOR_SPLITS.items()
               if all(key in archive for key in keys)}
    if "query" not in present or "gallery" not in present:
        raise DataError(f"{path} holds no precomputed vectors (temb, tid, gemb, gid)")
    return {split: (archive[e].reshape(len(archive[e]), -1), archive[i].reshape(-1))
            for split, (e, i) in present.items()}

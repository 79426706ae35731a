"""The embedding space in TensorBoard's Projector tab, with a sprite of the images.

``write_projector(run_dir, name, embeddings, images, labels)`` writes, under
``run_dir/projector/``, the embeddings (``<name>.tsv``), their labels
(``<name>-metadata.tsv``: one column per label, e.g. identity, split, camera)
and a sprite (``<name>-sprite.png``: every image as a square thumbnail, row by
row), then ``run_dir/projector_config.pbtxt`` naming every embedding written
there so far (``projector/embeddings.json`` lists them), the way the projector
plugin reads it. ``run_dir`` is a run of ``tensorboard --logdir`` (a folder
with event files), so the tab needs no extra flag. At most ``MAX_POINTS``
points go in, evenly spaced.
"""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tfreid.backend import keras
from tfreid.callbacks.callback import Callback
from tfreid.data.split_images import as_images
from tfreid.evaluation.embedding import as_split, embed
from tfreid.io.atomic import atomic_file, write_json, write_text

MAX_POINTS = 4096
SPRITE_SIDE = 8192  # the largest sprite the projector takes
FOLDER = "projector"
CONFIG_NAME = "projector_config.pbtxt"


def sprite_image(images: np.ndarray) -> tuple[np.ndarray, int]:
    """(sprite (S, S, 3) uint8, thumbnail side): thumbnails of up to 64 px in a square grid."""
    columns = math.ceil(math.sqrt(len(images)))
    side = max(8, min(64, SPRITE_SIDE // columns))
    sprite = Image.new("RGB", (columns * side, columns * side), "white")
    for position, image in enumerate(images):
        thumbnail = Image.fromarray(np.asarray(image, np.uint8)).convert("RGB").resize(
            (side, side), Image.BILINEAR)
        sprite.paste(thumbnail, ((position % columns) * side, (position // columns) * side))
    return np.asarray(sprite), side


def _tsv_cell(value) -> str:
    return str(value).replace("\t", " ").replace("\n", " ") or "-"


def _embedding_entry(name: str, side: int, points: int, dim: int) -> str:
    return (f'embeddings {{\n  tensor_name: "{name}"\n  tensor_shape: {points}\n'
            f'  tensor_shape: {dim}\n  tensor_path: "{FOLDER}/{name}.tsv"\n'
            f'  metadata_path: "{FOLDER}/{name}-metadata.tsv"\n'
            f'  sprite {{\n    image_path: "{FOLDER}/{name}-sprite.png"\n'
            f'    single_image_dim: {side}\n    single_image_dim: {side}\n  }}\n}}\n')


def pixels_at(parts: list, rows: np.ndarray) -> np.ndarray:
    """The images at ``rows`` of the concatenation of ``parts`` (``SplitImages``, in memory
    or read from their shards, or arrays), as one uint8 array."""
    found, offset = [], 0
    for part in parts:
        local = rows[(rows >= offset) & (rows < offset + len(part))] - offset
        offset += len(part)
        if len(local):
            found.append(as_images(part).rows(local))
    return np.concatenate(found)


def split_labels(query, gallery) -> dict[str, np.ndarray]:
    """identity, split (query / gallery) and camera of a query and a gallery, in order."""
    return {"identity": np.concatenate([query.identities, gallery.identities]),
            "split": np.array(["query"] * len(query.identities)
                              + ["gallery"] * len(gallery.identities)),
            "camera": np.concatenate([query.cameras, gallery.cameras])}


def write_projector(run_dir: str | Path, name: str, embeddings: np.ndarray, images: list,
                    labels: dict[str, np.ndarray]) -> Path:
    """Write one embedding of the Projector (module docstring); the config's path.
    ``images`` are the parts (``SplitImages`` or arrays) whose concatenation the rows
    of ``embeddings`` stand for."""
    run_dir, embeddings = Path(run_dir), np.asarray(embeddings, np.float32)
    keep = np.unique(np.linspace(0, len(embeddings) - 1, min(len(embeddings), MAX_POINTS))
                     .round().astype(int))
    folder = run_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / f"{name}.tsv", "".join(
        "\t".join(f"{v:.6g}" for v in row) + "\n" for row in embeddings[keep]))
    columns = list(labels)
    rows = ["\t".join(columns) + "\n"] + [
        "\t".join(_tsv_cell(np.asarray(labels[c])[i]) for c in columns) + "\n" for i in keep]
    write_text(folder / f"{name}-metadata.tsv", "".join(rows))
    sprite, side = sprite_image(pixels_at(images, keep))
    with atomic_file(folder / f"{name}-sprite.png") as temporary:
        Image.fromarray(sprite).save(temporary, format="PNG")
    index_path = folder / "embeddings.json"
    entries = json.loads(index_path.read_text()) if index_path.is_file() else {}
    entries[name] = [side, len(keep), embeddings.shape[1]]
    write_json(index_path, entries)
    write_text(run_dir / CONFIG_NAME, "".join(_embedding_entry(entry, *shape)
                                              for entry, shape in entries.items()))
    return run_dir / CONFIG_NAME


class EmbeddingProjector(Callback):
    """Every ``every_n_epochs`` epochs, the query and gallery embeddings go to the
    Projector of ``log_dir`` (a TensorBoard run folder, e.g. the run's ``validation``)
    as ``epoch-<n>``, labelled by identity, split and camera.

    Example::

        from tfreid.callbacks import EmbeddingProjector

        q_images, q_ids, g_images, g_ids = images[0::2], labels[0::2], images[1::2], labels[1::2]
        encoder.compile("adam", loss="triplet_margin")
        encoder.fit(images, labels, epochs=1, verbose=0, callbacks=[
            EmbeddingProjector(encoder, (q_images, q_ids), (g_images, g_ids), "logs/run")])
    """

    def __init__(self, encoder: keras.Model, query, gallery, log_dir: str | Path,
                 every_n_epochs: int = 1):
        super().__init__()
        self.encoder, self.log_dir, self.every_n_epochs = encoder, Path(log_dir), every_n_epochs
        self.query, self.gallery = as_split(query), as_split(gallery)

    def get_config(self) -> dict[str, Any]:
        """The JSON-able settings; the ``encoder`` and the ``query`` and ``gallery`` data
        are left out (as Keras leaves out arguments it cannot serialise) and must be
        passed again to rebuild the callback."""
        return {"log_dir": str(self.log_dir), "every_n_epochs": self.every_n_epochs}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % self.every_n_epochs:
            return
        q, g = embed(self.encoder, self.query.images), embed(self.encoder, self.gallery.images)
        write_projector(self.log_dir, f"epoch-{epoch + 1}", np.concatenate([q, g]),
                        [self.query.images, self.gallery.images],
                        split_labels(self.query, self.gallery))

"""Embed a folder of images, index them with faiss and search the index.

A folder of identity subfolders (``root/<identity>/*.png``, the layout ``tfreid embed
--images`` and ``tfreid make-tfrecords folder`` read) is split into queries (the first image
of each identity) and a gallery (the others). The gallery is embedded into tfreid's
``EmbeddingIndex`` (``tfreid.retrieval``: exact faiss search by cosine distance, identities
and metadata kept beside the vectors), saved to a folder and loaded again, and each query's
nearest gallery images are printed: rank, distance, identity, whether it is a true match,
file.

The model is any encoder tfreid embeds with (``tfreid.inference.embedder_for``): by default
an untrained Table I CNN (``tfreid.models.table1_cnn``) built here, so the script needs
nothing trained; ``--model`` takes a trained one: a SavedModel export (``exports/<run>``), an
``encoder.keras`` (``logs/<run>/encoder.keras``) or a ``.tflite`` file. Without
``--folder`` the script first writes a folder of synthetic images (random textures, each
seen in several shifted, re-lit views), so it runs anywhere in a few seconds:

    python examples/embed_and_search_folder.py          # a synthetic folder, an untrained CNN
    python examples/embed_and_search_folder.py --folder photos/ --model exports/<run> -k 5

An untrained network still ranks views of one texture together, as their pixels are alike;
a trained model is what makes it work on real photographs. ``tfreid embed MODEL --images
DIR --index INDEX`` and ``tfreid search INDEX --images DIR`` do the same from the command
line.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import tfreid
from tfreid.backend import keras
from tfreid.data.image_files import ImageFileBatches, list_image_files
from tfreid.inference import embedder_for
from tfreid.models import table1_cnn
from tfreid.retrieval import EmbeddingIndex


def write_synthetic_folder(root: Path, identities: int = 12, views: int = 4, size: int = 48,
                           seed: int = 0) -> Path:
    """``root/id-XX/view-Y.png``: ``views`` shifted, re-lit, noisy views of random textures."""
    rng = np.random.default_rng(seed)
    for identity in range(identities):
        texture = rng.uniform(0, 255, (size // 8, size // 8, 3)).repeat(8, 0).repeat(8, 1)
        folder = root / f"id-{identity:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for view in range(views):
            image = np.roll(texture, rng.integers(-2, 3, size=2), axis=(0, 1))
            image = image * rng.uniform(0.7, 1.3) + rng.normal(0, 15, image.shape)
            Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(
                folder / f"view-{view}.png")
    return root


def load_encoder(model: str | None):
    """The encoder to embed with: a trained model's path, or an untrained Table I CNN."""
    if model is None:
        keras.utils.set_random_seed(0)  # the same untrained weights every run
        return table1_cnn((48, 48, 3), embedding_dim=32)  # untrained, 48 px
    if model.endswith(".keras"):
        return tfreid.load_model(model, compile=False)
    return model  # an export folder or a .tflite file: embedder_for reads it


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", help="root/<identity>/<images> (default: write a "
                                         "synthetic one under --out)")
    parser.add_argument("--model", help="an export folder, encoder.keras or .tflite file "
                                        "(default: an untrained Table I CNN)")
    parser.add_argument("--out", help="where the index (and synthetic folder) go "
                                      "(default: a new temporary folder)")
    parser.add_argument("-k", type=int, default=3, help="matches shown per query")
    parser.add_argument("--show", type=int, default=4, help="queries printed")
    args = parser.parse_args(argv)

    out = Path(args.out or tempfile.mkdtemp(prefix="tfreid-search-"))
    folder = Path(args.folder) if args.folder else write_synthetic_folder(out / "images")
    files = list_image_files([folder])  # paths with identities from the subfolder names
    first = np.zeros(len(files), bool)
    first[np.unique(files.identities, return_index=True)[1]] = True
    query, gallery = np.flatnonzero(first), np.flatnonzero(~first)

    embedder = embedder_for(load_encoder(args.model))
    size = embedder.image_size or (64, 64)  # a model that resizes itself takes any size

    def pixels(rows):  # the images, decoded and resized as tfreid's readers do
        return ImageFileBatches([files.paths[i] for i in rows], size)

    index = EmbeddingIndex.build(embedder, pixels(gallery), files.identities[gallery],
                                 metadata=[{"file": str(files.paths[i])} for i in gallery],
                                 metric="cosine", progress=False)
    saved = index.save(out / "index", overwrite=True)
    index = EmbeddingIndex.load(saved)  # what a later process would do
    print(f"index: {len(index)} gallery images of {len(set(files.identities[gallery]))} "
          f"identities, dim {index.dim}, {index.metric}, saved to {saved}")

    result = index.search(embedder.embed(pixels(query)), k=args.k)
    query_ids = files.identities[query]
    hits = result.identities == query_ids[:, None]
    for row in range(min(args.show, len(query))):
        print(f"query {files.paths[query[row]]} (identity {query_ids[row]}):")
        for rank in range(args.k):
            meta = result.metadata[row][rank]
            print(f"  {rank + 1}. distance {result.distances[row, rank]:.3f}  identity "
                  f"{result.identities[row, rank]}  {'match' if hits[row, rank] else '-----'}  "
                  f"{meta['file']}")
    top1 = float(hits[:, 0].mean())
    chance = float(np.mean([np.mean(files.identities[gallery] == q) for q in query_ids]))
    print(f"top-1 is a true match for {hits[:, 0].sum()} of {len(query)} queries "
          f"({top1:.3f}; chance {chance:.3f})")
    return {"top1": top1, "chance": chance, "index": saved}


if __name__ == "__main__":
    main()

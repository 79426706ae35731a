"""Embedding images with an encoder and scoring the embeddings.

Splits to score come as ``SplitArrays`` (images, identities, cameras in
memory), as a tuple ``(images, identities[, cameras])`` of arrays, or as a
``tf.data.Dataset`` of dicts with ``image``, ``identity`` and optionally
``camera`` (one example or a batch per element, as ``split_dataset`` gives):
``as_split`` turns any of them into one form.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from tfreid.backend import check_tf_keras, keras, tf
from tfreid.data.reader import SplitArrays
from tfreid.data.record_images import RecordImages
from tfreid.errors import DataError, TrainingError
from tfreid.metrics import (
    correlated_features,
    evaluate_ranking,
    evaluate_retrieval,
    mean_absolute_correlation,
)
from tfreid.metrics.revisited import evaluate_revisited


@dataclass
class EvaluationSplit:
    """Images (or a dataset of them) with identities and cameras, ready to embed."""

    images: Any
    identities: np.ndarray
    cameras: np.ndarray

    def __len__(self) -> int:
        return len(self.identities)


def _from_dataset(dataset: tf.data.Dataset) -> EvaluationSplit:
    images, identities, cameras = [], [], []
    spec = dataset.element_spec
    if not isinstance(spec, dict) or "image" not in spec or "identity" not in spec:
        raise DataError("a dataset to evaluate must give dicts with 'image' and 'identity' "
                        "(and optionally 'camera'), as tfreid.data.split_dataset does")
    batched = spec["image"].shape.rank == 4
    for element in (dataset if batched else dataset.batch(256)).as_numpy_iterator():
        images.append(element["image"])
        identities.append(np.reshape(element["identity"], [-1]))
        cameras.append(np.reshape(element.get("camera", np.zeros_like(element["identity"])),
                                  [-1]))
    if not images:
        raise DataError("the dataset to evaluate is empty")
    return EvaluationSplit(np.concatenate(images), np.concatenate(identities),
                           np.concatenate(cameras))


def as_split(data: Any) -> EvaluationSplit:
    """``data`` (module docstring) as an EvaluationSplit."""
    if isinstance(data, EvaluationSplit):
        return data
    if isinstance(data, SplitArrays):
        return EvaluationSplit(data.images, data.identities, data.cameras)
    if isinstance(data, tf.data.Dataset):
        return _from_dataset(data)
    if isinstance(data, tuple | list) and len(data) in (2, 3):
        images, identities = np.asarray(data[0]), np.asarray(data[1]).reshape(-1)
        cameras = np.asarray(data[2]).reshape(-1) if len(data) == 3 else np.zeros_like(
            identities)
        if not len(images) == len(identities) == len(cameras):
            raise DataError(f"images, identities and cameras differ in length: {len(images)}, "
                            f"{len(identities)}, {len(cameras)}")
        return EvaluationSplit(images, identities, cameras)
    raise DataError(f"cannot evaluate {type(data).__name__}: give SplitArrays, (images, "
                    "identities[, cameras]) arrays or a tf.data.Dataset of dicts")


EMBEDDING_PIXELS = 2**21  # pixels a batch of ``embed`` holds at most (256 images of 64 px)


def embed(encoder: keras.Model, images: Any, batch_size: int | None = None) -> np.ndarray:
    """Embeddings (N, D) of uint8 images (N, H, W, 3) or of ``RecordImages`` read from
    their shards, in inference mode; (0, D) for none. ``batch_size`` defaults to 256
    images of up to 64 x 64 px, fewer of larger ones (EMBEDDING_PIXELS)."""
    check_tf_keras(encoder, "the encoder")
    if len(images) == 0:
        return np.zeros((0, int(encoder.output_shape[-1])), np.float32)
    if batch_size is None:
        pixels = int(images.shape[1]) * int(images.shape[2])
        batch_size = int(np.clip(EMBEDDING_PIXELS // pixels, 8, 256))
    batches = images.batches(batch_size) if isinstance(images, RecordImages) else (
        images[start:start + batch_size] for start in range(0, len(images), batch_size))
    embeddings = np.concatenate([np.asarray(encoder(batch, training=False), np.float32)
                                 for batch in batches])
    if not np.isfinite(embeddings).all():
        raise TrainingError("the encoder gives non-finite embeddings (diverged training?)")
    return embeddings


def score_embeddings(
    query_embeddings: np.ndarray, query: Any, gallery_embeddings: np.ndarray,
    gallery: Any, metric: str = "euclidean",
) -> dict[str, Any]:
    """rank-1, mAP, CMC (Market-1501 protocol) and mAC, CF of all the embeddings."""
    query, gallery = as_split(query), as_split(gallery)
    ranking = evaluate_ranking(
        query_embeddings, query.identities, gallery_embeddings, gallery.identities,
        query.cameras, gallery.cameras, metric=metric)
    every = np.concatenate([query_embeddings, gallery_embeddings])
    return {**ranking, "mAC": mean_absolute_correlation(every), "CF": correlated_features(every)}


def evaluate_encoder(encoder: keras.Model, query: Any, gallery: Any,
                     metric: str = "euclidean") -> dict[str, Any]:
    """Embed query and gallery with ``encoder`` and score them (``score_embeddings``)."""
    query, gallery = as_split(query), as_split(gallery)
    return score_embeddings(embed(encoder, query.images), query,
                            embed(encoder, gallery.images), gallery, metric)


def held_out_scores(encoder: keras.Model, query: Any, gallery: Any, metric: str = "euclidean",
                    revisited: dict[str, np.ndarray] | None = None,
                    seed: int = 0) -> dict[str, Any]:
    """The final evaluation of a run on held-out identities (``score_held_out``) by
    ``encoder``."""
    query, gallery = as_split(query), as_split(gallery)
    return score_held_out(embed(encoder, query.images), query, embed(encoder, gallery.images),
                          gallery, metric, revisited, seed)


def score_held_out(query_embeddings: np.ndarray, query: Any, gallery_embeddings: np.ndarray,
                   gallery: Any, metric: str = "euclidean",
                   revisited: dict[str, np.ndarray] | None = None,
                   seed: int = 0) -> dict[str, Any]:
    """``score_embeddings`` (rank-k, mAP, mAC, CF), the retrieval measures (precision@1,
    R-precision, MAP@R, MRR), Recall@1/2/4/8 and NMI / AMI over all held-out images
    (leave-one-out, the thesis' protocol), and mAP Easy / Medium / Hard where
    ``revisited`` masks are given."""
    query, gallery = as_split(query), as_split(gallery)
    q, g = query_embeddings, gallery_embeddings
    report = evaluate_retrieval(q, query.identities, g, gallery.identities, query.cameras,
                                gallery.cameras, metric, seed=seed)
    every = np.concatenate([q, g])
    scores = {**report, "mAC": mean_absolute_correlation(every),
              "CF": correlated_features(every)}
    if revisited is not None:
        scores.update(evaluate_revisited(q, g, revisited["easy"], revisited["hard"],
                                         revisited["junk"], metric))
    return scores


def chance_scores(query: Any, gallery: Any, seed: int, draws: int = 5) -> dict[str, float]:
    """Chance level of rank-1 and mAP under the same protocol.

    rank-1: mean over queries of (valid true matches / valid gallery entries),
    the probability that a random ranking puts a true match first. mAP: mean
    over ``draws`` random embeddings.
    """
    query, gallery = as_split(query), as_split(gallery)
    same_id = query.identities[:, None] == gallery.identities[None, :]
    valid = ~(same_id & (query.cameras[:, None] == gallery.cameras[None, :]))
    matches = (same_id & valid).sum(axis=1)
    scored = matches > 0
    rank1 = float((matches[scored] / valid[scored].sum(axis=1)).mean())
    rng = np.random.default_rng(seed)
    random_map = [evaluate_ranking(rng.normal(size=(len(query), 16)), query.identities,
                                   rng.normal(size=(len(gallery), 16)), gallery.identities,
                                   query.cameras, gallery.cameras)["mAP"] for _ in range(draws)]
    return {"rank1": rank1, "mAP": float(np.mean(random_map))}

"""Embedding images with an encoder and scoring the embeddings.

Splits to score come as ``SplitArrays`` (images, identities, cameras in
memory), as a tuple ``(images, identities[, cameras])`` of arrays, or as a
``tf.data.Dataset`` of dicts with ``image``, ``identity`` and optionally
``camera`` (one example or a batch per element, as ``split_dataset`` gives):
``as_split`` turns any of them into one form. Without cameras every camera is -1,
unknown: no gallery entry is left out by the camera rule (``same_camera``).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from tfreid.backend import keras, tf
from tfreid.data.reader import SplitArrays
from tfreid.errors import DataError
from tfreid.inference.embedder import embedder_for
from tfreid.metrics.measure import EPOCH, Evaluation, Scores, measures
from tfreid.metrics.measures import RANK1
from tfreid.metrics.ranking import same_camera


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
        cameras.append(np.reshape(element.get("camera", np.full_like(element["identity"], -1)),
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
        cameras = np.asarray(data[2]).reshape(-1) if len(data) == 3 else np.full(
            len(identities), -1)
        if not len(images) == len(identities) == len(cameras):
            raise DataError(f"images, identities and cameras differ in length: {len(images)}, "
                            f"{len(identities)}, {len(cameras)}")
        return EvaluationSplit(images, identities, cameras)
    raise DataError(f"cannot evaluate {type(data).__name__}: give SplitArrays, (images, "
                    "identities[, cameras]) arrays or a tf.data.Dataset of dicts")


def embed(encoder: keras.Model, images: Any, batch_size: int | None = None,
          flip: bool = False) -> np.ndarray:
    """Embeddings (N, D) of ``images`` (``SplitImages``, a uint8 array (N, H, W, 3) or
    uint8 batches) by ``encoder`` in inference mode; (0, D) for none: the one
    ``tfreid.inference.Embedder``'s batching (``batch_size_for``) and checks. With ``flip``:
    the mean of each image's and its mirror's embeddings (test-time flip)."""
    return embedder_for(encoder, flip=flip).embed(images, batch_size)


def score_embeddings(
    query_embeddings: np.ndarray, query: Any, gallery_embeddings: np.ndarray,
    gallery: Any, metric: str = "euclidean",
) -> Scores:
    """The measures of the per-epoch validation line (``measures(EPOCH)``: rank-1, mAP,
    mAC, CF), the CMC curve (up to rank 20, at most the gallery's size) and the query
    counts, Market-1501 protocol."""
    query, gallery = as_split(query), as_split(gallery)
    evaluation = Evaluation(query_embeddings, query.identities, gallery_embeddings,
                            gallery.identities, query.cameras, gallery.cameras, metric,
                            max_rank=min(20, len(gallery.identities)))
    return evaluation.scores(measures(EPOCH))


def evaluate_encoder(encoder: keras.Model, query: Any, gallery: Any,
                     metric: str = "euclidean", flip: bool = False) -> Scores:
    """Embed query and gallery with ``encoder`` (with test-time flip if ``flip``) and score
    them (``score_embeddings``)."""
    query, gallery = as_split(query), as_split(gallery)
    return score_embeddings(embed(encoder, query.images, flip=flip), query,
                            embed(encoder, gallery.images, flip=flip), gallery, metric)


def held_out_scores(encoder: keras.Model, query: Any, gallery: Any, metric: str = "euclidean",
                    revisited: dict[str, np.ndarray] | None = None,
                    seed: int = 0, flip: bool = False) -> Scores:
    """The final evaluation of a run on held-out identities (``score_held_out``) by
    ``encoder``, with test-time flip if ``flip``."""
    query, gallery = as_split(query), as_split(gallery)
    return score_held_out(embed(encoder, query.images, flip=flip), query,
                          embed(encoder, gallery.images, flip=flip), gallery, metric,
                          revisited, seed)


def score_held_out(query_embeddings: np.ndarray, query: Any, gallery_embeddings: np.ndarray,
                   gallery: Any, metric: str = "euclidean",
                   revisited: dict[str, np.ndarray] | None = None,
                   seed: int = 0) -> Scores:
    """Every registered measure that applies (``tfreid.catalog.MEASURES``): rank-k, mAP,
    mINP, the retrieval measures (precision@1, R-precision, MAP@R, MRR), Recall@1/2/4/8 and
    NMI / AMI over all held-out images (leave-one-out, the thesis' protocol), mAC, CF, and
    mAP Easy / Medium / Hard where ``revisited`` masks are given; with the CMC curve (up to
    rank 20) and the query counts."""
    query, gallery = as_split(query), as_split(gallery)
    return Evaluation(query_embeddings, query.identities, gallery_embeddings,
                      gallery.identities, query.cameras, gallery.cameras, metric, seed,
                      revisited).scores()


def chance_scores(query: Any, gallery: Any, seed: int, draws: int = 5) -> dict[str, float]:
    """Chance level of rank-1 and of the measures with a chance level (``Measure.chance``:
    mAP, mINP) under the same protocol.

    rank-1: mean over queries of (valid true matches / valid gallery entries),
    the probability that a random ranking puts a true match first. The others: mean
    over ``draws`` random embeddings.
    """
    query, gallery = as_split(query), as_split(gallery)
    same_id = query.identities[:, None] == gallery.identities[None, :]
    valid = ~(same_id & same_camera(query.cameras, gallery.cameras))
    matches = (same_id & valid).sum(axis=1)
    scored = matches > 0
    rank1 = float((matches[scored] / valid[scored].sum(axis=1)).mean())
    rng = np.random.default_rng(seed)
    chosen = [m for m in measures() if m.chance]
    random = [Evaluation(rng.normal(size=(len(query), 16)), query.identities,
                         rng.normal(size=(len(gallery), 16)), gallery.identities,
                         query.cameras, gallery.cameras).scores(chosen) for _ in range(draws)]
    return {RANK1.key: rank1, **{m.key: float(np.mean([scores[m.key] for scores in random]))
                                 for m in chosen}}

"""A model scored on a dataset under the dataset's own protocol, with the test-time ranking
options: what ``tfreid evaluate`` prints and what a run's ``test_datasets`` record.

The protocol is the manifest's ``protocol`` entry, written by the dataset's importer
(``tfreid.data.importers``), so nobody names it on the command line:

* ``camera_rule`` (default true): the Market-1501 rule, gallery images of the query's
  identity *and* camera left out; false (VehicleID: no cameras) ranks the whole gallery;
* ``draws`` (VehicleID): queries and gallery drawn from the split ``split`` (one random
  image of each identity in the gallery, the rest queries) ``draws`` times with
  ``seed`` (``tfreid.data.protocols.random_gallery_draws``); every measure is the mean
  over the draws, the images embedded once.

Without a protocol entry (the surface sets, Market-1501 imported before it had one) the
query and gallery splits are scored with the camera rule, as always.
"""

from typing import Any

import numpy as np

from tfreid.data.dataset import Dataset
from tfreid.data.split import Split
from tfreid.errors import DataError
from tfreid.evaluation.test_time import RankingOptions
from tfreid.inference.embedder import Embedder, embedder_for


def dataset_protocol(dataset: Dataset) -> dict[str, Any]:
    """The manifest's protocol entry, {} where it has none."""
    return dict(dataset.manifest.get("protocol") or {})


def _embedded(embedder: Embedder, dataset: Dataset, split: str, batch_size: int,
              progress: bool) -> tuple[Split, np.ndarray]:
    """Split ``split`` of ``dataset`` streamed from its shards, and its embeddings."""
    data = dataset.split(split, embedder.image_size, input="stream")
    return data, embedder.embed(data.images, batch_size, progress)


def _scores(q: np.ndarray, q_ids, q_cams, g: np.ndarray, g_ids, g_cams, metric: str,
            options: RankingOptions | None) -> dict[str, Any]:
    """Every measure of ``score_held_out``, and those after the test-time options under
    ``test_time``."""
    from tfreid.evaluation import EvaluationSplit, score_held_out
    from tfreid.evaluation.test_time import ranking_scores

    report = dict(score_held_out(q, EvaluationSplit(None, q_ids, q_cams),
                                 g, EvaluationSplit(None, g_ids, g_cams), metric))
    if options is not None and options.active():
        after = dict(ranking_scores(q, q_ids, q_cams, g, g_ids, g_cams, metric, options))
        report["test_time"] = {**after, "options": options.describe()}
    return report


def _mean_of_draws(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of every number (and curve) over the draws' reports, nested ones too."""
    mean: dict[str, Any] = {}
    for key, value in reports[0].items():
        values = [r[key] for r in reports]
        if isinstance(value, dict):
            mean[key] = _mean_of_draws(values)
        elif isinstance(value, str):
            mean[key] = value
        else:
            mean[key] = np.mean(np.asarray(values, dtype=np.float64), axis=0)
    return mean


def _drawn(embedder: Embedder, dataset: Dataset, protocol: dict[str, Any], metric: str,
           batch_size: int, progress: bool, options: RankingOptions | None) -> dict[str, Any]:
    from tfreid.data.protocols import random_gallery_draws

    source, embeddings = _embedded(embedder, dataset, protocol["split"], batch_size, progress)
    identities = source.identities.astype(str)
    cameras = source.cameras if protocol.get("camera_rule", True) else None
    reports = []
    for queries, gallery in random_gallery_draws(identities, int(protocol["draws"]),
                                                 int(protocol.get("seed", 0))):
        reports.append(_scores(
            embeddings[queries], identities[queries],
            None if cameras is None else cameras[queries], embeddings[gallery],
            identities[gallery], None if cameras is None else cameras[gallery],
            metric, options))
    report = _mean_of_draws(reports)
    report.update({"queries": len(queries), "gallery": len(gallery),
                   "draws": len(reports)})
    return report


def evaluate_model(model: Any, dataset: Dataset, query_split: str = "query",
                   gallery_split: str = "gallery", metric: str = "euclidean",
                   batch_size: int = 128, progress: bool = True,
                   options: RankingOptions | None = None) -> dict[str, Any]:
    """The measures of ``model`` (anything ``tfreid.inference.embedder_for`` takes: an
    ``Embedder``, a Keras encoder, an export) on ``dataset`` under its protocol (module
    docstring): rank-k, mAP, mINP, the retrieval measures, mAC and CF, and under
    ``test_time`` those after ``options`` (query expansion, re-ranking) if any."""
    embedder = embedder_for(model)
    protocol = dataset_protocol(dataset)
    if protocol.get("draws"):
        report = _drawn(embedder, dataset, protocol, metric, batch_size, progress, options)
    else:
        query, q = _embedded(embedder, dataset, query_split, batch_size, progress)
        gallery, g = _embedded(embedder, dataset, gallery_split, batch_size, progress)
        if not len(q) or not len(g):
            raise DataError(f"{dataset.path} has an empty {query_split} or {gallery_split} "
                            "split")
        rule = protocol.get("camera_rule", True)
        report = _scores(q, query.identities.astype(str), query.cameras if rule else None, g,
                         gallery.identities.astype(str), gallery.cameras if rule else None,
                         metric, options)
        report.update({"queries": len(q), "gallery": len(g)})
    report.update({"model": embedder.name, "dataset": str(dataset.path), "metric": metric,
                   "protocol": protocol.get("name", "query / gallery, camera rule")})
    return _as_json(report)


def _as_json(report: dict[str, Any]) -> dict[str, Any]:
    """Arrays as lists and NumPy numbers as Python ones, nested dicts too."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, np.ndarray):
            return value.tolist()
        return value.item() if isinstance(value, np.generic) else value
    return plain(report)

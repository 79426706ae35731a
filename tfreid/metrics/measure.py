"""What a measure is, what it is computed from, and the typed scores it gives.

A ``Measure`` is one entry of ``tfreid.catalog.MEASURES``: its results key
(``"mAP"``, also its registry name), the label people read (``"mAP"``, ``"rank-1"``),
how it is computed from an ``Evaluation`` (the query / gallery embeddings and labels,
with the ranks of every query's true matches, k-means clusters and the revisited masks
computed once, when a measure first asks), whether higher is better, its display format
and the places it appears (``PLACES``). Everything that shows or stores measures (the
held-out report, the per-epoch validation line, TensorBoard's test scalars and HParams
metrics, results.json, sweep rows) walks the registry, so adding a measure is one file
that defines it plus one line in ``tfreid/catalog.py``.

Scores come back as ``Scores``: a dict of the measures' values (registry order), then
``cmc`` and the query counts, so ``scores["mAP"]`` and results.json keep the keys they
always had; ``scores.measures(place)`` pairs the measures of a place with their values.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from tfreid.errors import DataError

# where a measure appears
REPORT = "report"            # the held-out report printed after a run (training/report.py)
EPOCH = "epoch"              # computed on the validation identities every epoch: val_<key>
TENSORBOARD = "tensorboard"  # a test/<key> scalar of the run's TensorBoard folder
HPARAMS = "hparams"          # a metric of the run in TensorBoard's HParams tab
SWEEP = "sweep"              # a column of a sweep's rows and its summary table
COMMAND = "command"          # a row of ``tfreid evaluate``'s table
PLACES = (REPORT, EPOCH, TENSORBOARD, HPARAMS, SWEEP, COMMAND)

# where a REPORT measure sits in the held-out report
TABLE = "table"                  # a row of the table, with its chance level where known
LEAVE_ONE_OUT = "leave_one_out"  # all held-out images, leave-one-out
RETRIEVAL = "retrieval"          # the retrieval line (MAP@R, R-precision, MRR, AMI)
REVISITED = "revisited"          # the revisited protocol's line (mAP E / M / H)

# what a measure is computed from
FROM_RANKS = "ranks"  # the ranks of every query's true matches (``match_ranks``)
FROM_EMBEDDINGS = "embeddings"  # every query and gallery embedding, without labels (mAC, CF)
FROM_LABELLED = "labelled"  # every embedding with its identity, leave-one-out (Recall@k, NMI)
FROM_REVISITED = "revisited"  # the revisited protocol's easy / hard / junk masks
SOURCES = (FROM_RANKS, FROM_EMBEDDINGS, FROM_LABELLED, FROM_REVISITED)

COUNTS = ("num_queries", "num_invalid_queries")  # what a ranking counts besides its measures


@dataclass(frozen=True)
class Measure:
    """One measure (module docstring). ``compute`` gives None where the measure does not
    apply (Recall@k for a metric given as a function, mAP E without revisited masks)."""

    key: str
    label: str
    compute: Callable[["Evaluation"], float | int | None]
    source: str = FROM_RANKS
    higher_is_better: bool = True
    format: str = ".3f"
    places: frozenset[str] = frozenset({REPORT, TENSORBOARD, HPARAMS})
    group: str = TABLE
    chance: bool = False  # the report's chance column: the mean over random embeddings
    rank: int | None = None  # rank-k: read from the CMC curve where a results file lacks it
    queries: str | None = None  # the report shows this count beside the value

    def __post_init__(self) -> None:
        unknown = set(self.places) - set(PLACES)
        if unknown:
            raise ValueError(f"measure {self.key}: unknown places {sorted(unknown)}; "
                             f"use {', '.join(PLACES)}")
        if self.source not in SOURCES:
            raise ValueError(f"measure {self.key}: unknown source {self.source!r}; "
                             f"use {', '.join(SOURCES)}")

    def is_count(self) -> bool:
        return self.format == "d"

    def formatted(self, value: float | int) -> str:
        """``value`` as the report shows it (counts as integers)."""
        return format(int(round(value)) if self.is_count() else value, self.format)


def measures(place: str | None = None, source: str | None = None) -> list[Measure]:
    """The registered measures, in registry order; only those of ``place`` and computed
    from ``source`` if given."""
    from tfreid.catalog import MEASURES

    return [m for m in (MEASURES.get(name) for name in MEASURES)
            if (place is None or place in m.places) and (source is None or m.source == source)]


def keys(place: str | None = None) -> tuple[str, ...]:
    """The results keys of ``measures(place)``."""
    return tuple(m.key for m in measures(place))


def measure(key: str) -> Measure:
    """The registered measure of results key ``key`` (ConfigError listing them if none)."""
    from tfreid.catalog import MEASURES

    return MEASURES.get(key)


class Scores(dict):
    """Measure values by key (registry order), then ``cmc`` (the CMC curve) and the counts
    (``num_queries``, ``num_invalid_queries``, the revisited protocol's ``<setting>_queries``
    and ``_skipped``). A dict, so ``scores["mAP"]``, ``**scores`` and JSON work as they did;
    registered keys read as attributes too (``scores.rank1``)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self:
            raise AttributeError(name)
        return self[name]

    @property
    def cmc(self) -> np.ndarray | None:
        return self.get("cmc")

    def measures(self, place: str | None = None) -> list[tuple[Measure, Any]]:
        """(measure, value) of the registered measures of ``place`` that these scores hold."""
        return [(m, self[m.key]) for m in measures(place) if m.key in self]

    def without_curve(self) -> "Scores":
        """These scores less ``cmc`` (results.json keeps the curve as ``test_cmc``)."""
        return Scores({k: v for k, v in self.items() if k != "cmc"})

    @classmethod
    def read(cls, stored: dict[str, Any]) -> "Scores":
        """Scores of a results.json ``test`` (or ``chance``), of any tfreid version."""
        return cls(stored)


class Evaluation:
    """Query and gallery embeddings with their identities (and cameras), what a measure is
    computed from. The ranks of every query's true matches (``match_ranks``: Market-1501
    camera rule, ties against the query), the k-means clusters and the revisited scores are
    computed once, when a measure first needs them.

    ``revisited``: the (query, gallery) ``easy`` / ``hard`` / ``junk`` masks, or None.
    ``max_rank``: the length of the CMC curve.
    """

    def __init__(self, query_embeddings: np.ndarray, query_ids: np.ndarray,
                 gallery_embeddings: np.ndarray, gallery_ids: np.ndarray,
                 query_cameras: np.ndarray | None = None,
                 gallery_cameras: np.ndarray | None = None, metric: Any = "euclidean",
                 seed: int = 0, revisited: dict[str, np.ndarray] | None = None,
                 max_rank: int = 20):
        self.query_embeddings, self.gallery_embeddings = query_embeddings, gallery_embeddings
        self.query_ids, self.gallery_ids = query_ids, gallery_ids
        self.query_cameras, self.gallery_cameras = query_cameras, gallery_cameras
        self.metric, self.seed, self.revisited, self.max_rank = metric, seed, revisited, max_rank

    @classmethod
    def of_ranks(cls, ranks: list[np.ndarray], max_rank: int = 20) -> "Evaluation":
        """An evaluation of ``match_ranks``' output alone (rank measures only)."""
        evaluation = cls(None, None, None, None, max_rank=max_rank)
        evaluation.__dict__["ranks"] = ranks
        return evaluation

    @cached_property
    def ranks(self) -> list[np.ndarray]:
        """Every query's sorted 1-based ranks of its true matches (empty: no valid match)."""
        from tfreid.metrics.ranking import match_ranks

        return match_ranks(self.query_embeddings, self.query_ids, self.gallery_embeddings,
                           self.gallery_ids, self.query_cameras, self.gallery_cameras,
                           self.metric)

    @cached_property
    def scored(self) -> list[np.ndarray]:
        """The ranks of the queries with a valid true match (the ones scored)."""
        scored = [r for r in self.ranks if len(r)]
        if not scored:
            raise DataError("no query has a true match in the gallery: cannot score the ranking")
        return scored

    def per_query(self, score: Callable[[np.ndarray], float]) -> float:
        """The mean over scored queries of ``score(ranks of the query's matches)``."""
        return float(np.mean([score(r) for r in self.scored]))

    @cached_property
    def first(self) -> np.ndarray:
        """The rank of every scored query's first true match."""
        return np.array([r[0] for r in self.scored])

    @cached_property
    def cmc(self) -> np.ndarray:
        """rank-k accuracy for k = 1 .. max_rank."""
        return (self.first[:, None] <= np.arange(1, self.max_rank + 1)[None, :]).mean(axis=0)

    @cached_property
    def every(self) -> np.ndarray:
        """Query and gallery embeddings together."""
        return np.concatenate([np.asarray(self.query_embeddings),
                               np.asarray(self.gallery_embeddings)])

    @cached_property
    def labels(self) -> np.ndarray:
        """The identities of ``every``."""
        return np.concatenate([np.asarray(self.query_ids).reshape(-1),
                               np.asarray(self.gallery_ids).reshape(-1)])

    @cached_property
    def clusters(self) -> np.ndarray:
        """k-means clusters of ``every``, one per identity (``cluster_labels``)."""
        from tfreid.metrics.classification import cluster_labels

        return cluster_labels(self.every, self.labels, self.seed)

    def recall(self, k: int) -> float | None:
        """Recall@k over ``every``, leave-one-out; None for a metric given as a function."""
        if callable(self.metric):
            return None
        if k not in self._recalls:
            from tfreid.metrics.classification import recall_at_k

            self._recalls.update(recall_at_k(self.every, self.labels, (k,), self.metric))
        return self._recalls[k]

    @cached_property
    def _recalls(self) -> dict[int, float]:
        from tfreid.metrics.classification import recall_at_k
        from tfreid.metrics.scoring import RECALL_KS

        return recall_at_k(self.every, self.labels, RECALL_KS, self.metric)

    @cached_property
    def revisited_scores(self) -> dict[str, Any] | None:
        """``evaluate_revisited`` with the masks, or None without them."""
        if self.revisited is None:
            return None
        from tfreid.metrics.revisited import evaluate_revisited

        masks = self.revisited
        return evaluate_revisited(self.query_embeddings, self.gallery_embeddings,
                                  masks["easy"], masks["hard"], masks["junk"], self.metric)

    def counts(self) -> dict[str, int]:
        """Queries scored and left out, and the revisited protocol's counts if any."""
        counts = {COUNTS[0]: len(self.scored), COUNTS[1]: len(self.ranks) - len(self.scored)}
        for key, value in (self.revisited_scores or {}).items():
            if key.endswith(("_queries", "_skipped")):
                counts[key] = value
        return counts

    def scores(self, chosen: list[Measure] | None = None) -> Scores:
        """``Scores`` of the ``chosen`` measures (all registered by default) that apply,
        with the CMC curve and the counts."""
        values: dict[str, Any] = {}
        for m in measures() if chosen is None else chosen:
            value = m.compute(self)
            if value is not None:
                values[m.key] = value
        return Scores({**values, "cmc": self.cmc, **self.counts()})


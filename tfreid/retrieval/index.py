"""``EmbeddingIndex``: a gallery of embeddings with identities and metadata, searched with
faiss, saved to and loaded from one folder.

Kinds (``kind=``):

* ``flat`` (default): exact search, faiss ``IndexFlatL2`` (euclidean) or
  ``IndexFlatIP`` on unit vectors (cosine);
* ``ivfpq``: approximate, ``IVF{nlist},PQ{pq_m}x{pq_bits}`` searched with
  ``nprobe`` lists; trained on the first embeddings added;
* ``hnsw``: approximate, ``HNSW{hnsw_m}`` graph searched with ``ef_search``;
* ``int8``: exact search over ``tfreid.compression`` int8 codes (one scale a
  dimension, fitted on the first embeddings added): D bytes an entry on disk;
  with cosine, of the unit vectors (1 - q.g of the decoded codes).

Distances returned are the metric's own: euclidean ||q - g||, cosine 1 - cos.
A saved index is a folder written atomically: ``manifest.json`` (tfreid
version, the model it came from, dim, metric, kind, parameters, count, the
calibrated threshold), the vectors (``index.faiss`` or ``codes.npy`` and
``scales.npy``), ``identities.npy`` and ``metadata.jsonl``.

Example::

    from tfreid.inference.embedder import embedder_for
    from tfreid.retrieval.index import EmbeddingIndex

    index = EmbeddingIndex.build(export_dir, images, labels)  # a gallery of identities
    query_embeddings = embedder_for(export_dir).embed(images[:2])
    result = index.search(query_embeddings, k=3)
    result.identities[0], result.distances[0], result.metadata[0]
    index.save("index")  # EmbeddingIndex.load("index") reads it back
"""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.catalog import INDEX_KINDS
from tfreid.errors import ConfigError, DataError, naming_a_full_disk, one_line
from tfreid.retrieval.calibration import Calibration, calibrate
from tfreid.retrieval.names import DEFAULT_PARAMETERS, METRICS

MANIFEST = "manifest.json"
_INT8_BLOCK = 65536  # gallery rows decoded at a time by an int8 search
_DAMAGED = (ValueError, EOFError, RuntimeError, KeyError, TypeError)  # what unreadable files raise


def _rebuild(folder: Path) -> str:
    return f"build the index again with tfreid embed MODEL --index {folder} --overwrite"


def _read(folder: Path, name: str, reader: Callable[[Path], Any], why: str,
          detail: bool = True) -> Any:
    """``reader(folder / name)``, or a DataError saying the file is missing or damaged."""
    path = folder / name
    if not path.is_file():
        raise DataError(f"index {folder} lacks {name}; {_rebuild(folder)}")
    try:
        return reader(path)
    except _DAMAGED as error:
        reason = f"{why}: {one_line(str(error))}" if detail else why
        raise DataError(f"{path} is damaged ({reason}); {_rebuild(folder)}") from None


def _read_faiss(path: Path):
    import faiss

    return faiss.read_index(str(path))


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _read_npy(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)


@dataclass
class SearchResult:
    """The k nearest entries of every query: (Q, k) distances, gallery rows (-1: none),
    identities, and each entry's metadata dict."""

    distances: np.ndarray
    indices: np.ndarray
    identities: np.ndarray
    metadata: list[list[dict]]


class EmbeddingIndex:
    """Embeddings with identities and metadata, searched with faiss (module docstring)."""

    def __init__(self, dim: int, metric: str = "euclidean", kind: str = "flat",
                 source: str | None = None, **parameters: int):
        if metric not in METRICS:
            raise ConfigError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
        INDEX_KINDS.check(kind)
        unknown = set(parameters) - set(DEFAULT_PARAMETERS)
        if unknown:
            raise ConfigError(f"unknown index parameters {sorted(unknown)}; known: "
                              f"{', '.join(DEFAULT_PARAMETERS)}")
        self.dim, self.metric, self.kind, self.source = int(dim), metric, kind, source
        self.parameters = {**DEFAULT_PARAMETERS, **parameters}
        if kind == "ivfpq":
            self._check_pq_m()
        self.identities = np.zeros(0, np.int64)
        self.metadata: list[dict] = []
        self.calibration: dict | None = None
        self._faiss = None
        self._codes: np.ndarray | None = None
        self._scales: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.identities)

    @property
    def threshold(self) -> float | None:
        """The calibrated distance threshold (``calibrate``), or None."""
        return None if self.calibration is None else self.calibration["threshold"]

    # adding and searching ----------------------------------------------------------------

    def _check_pq_m(self) -> None:
        pq_m = self.parameters["pq_m"]
        if self.dim % pq_m:
            divisors = [str(d) for d in range(1, self.dim + 1) if self.dim % d == 0]
            raise ConfigError(f"--pq-m {pq_m} does not divide the embedding dimension "
                              f"{self.dim}; choose one of {', '.join(divisors)}")

    def check_training_size(self, count: int) -> None:
        """ConfigError if an ivfpq index cannot train on its first ``count`` embeddings
        (fewer than its lists, or than the 2^pq_bits centroids of each sub-quantizer)."""
        if self.kind != "ivfpq":
            return
        nlist, bits = self.parameters["nlist"], self.parameters["pq_bits"]
        needed = max(nlist, 2 ** bits)
        if count >= needed:
            return
        fixes = [f"--nlist at most {count}"] if count < nlist else []
        if count < 2 ** bits and count >= 2:
            fixes.append(f"--pq-bits at most {int(math.log2(count))}")
        choices = f"{', '.join(fixes)} or --kind flat" if fixes else "--kind flat"
        raise ConfigError(f"IVF-PQ with {nlist} lists and {bits}-bit codes needs at least "
                          f"{needed} embeddings to train, got {count}; use {choices}")

    def _prepare(self, embeddings: np.ndarray) -> np.ndarray:
        vectors = np.array(embeddings, np.float32, order="C")  # a copy: normalised in place
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise DataError(f"embeddings of shape {vectors.shape} for an index of dim {self.dim}")
        if not np.isfinite(vectors).all():
            raise DataError("embeddings to index or search must be finite")
        if self.metric == "cosine":
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def _new_faiss(self, vectors: np.ndarray):
        import faiss

        p = self.parameters
        spec = {"flat": "Flat", "ivfpq": f"IVF{p['nlist']},PQ{p['pq_m']}x{p['pq_bits']}",
                "hnsw": f"HNSW{p['hnsw_m']}"}[self.kind]
        metric = faiss.METRIC_L2 if self.metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
        self.check_training_size(len(vectors))
        try:
            index = faiss.index_factory(self.dim, spec, metric)
        except RuntimeError as error:
            raise ConfigError(f"faiss cannot build {spec} for dim {self.dim}: "
                              f"{str(error).splitlines()[0]}") from None
        if self.kind == "ivfpq":
            index.train(vectors)
        return index

    def add(self, embeddings: np.ndarray, identities: Any = None,
            metadata: list[dict] | None = None) -> None:
        """Add (N, dim) embeddings with their identities (default -1) and metadata dicts."""
        vectors = self._prepare(embeddings)
        ids = np.full(len(vectors), -1) if identities is None else np.asarray(identities)
        meta = [{} for _ in vectors] if metadata is None else list(metadata)
        if len(ids.reshape(-1)) != len(vectors) or len(meta) != len(vectors):
            raise DataError(f"{len(vectors)} embeddings with {ids.size} identities and "
                            f"{len(meta)} metadata entries")
        if self.kind == "int8":
            self._add_int8(vectors)
        else:
            if self._faiss is None:
                self._faiss = self._new_faiss(vectors)
            self._faiss.add(vectors)
        self.identities = np.concatenate([self.identities, ids.reshape(-1)]) \
            if len(self.identities) else ids.reshape(-1)
        self.metadata += meta

    def _add_int8(self, vectors: np.ndarray) -> None:
        from tfreid.compression.int8_storage import encode_int8, fit_scales

        if self._scales is None:
            self._scales = fit_scales(vectors)
        codes = encode_int8(vectors, self._scales).codes
        self._codes = codes if self._codes is None else np.concatenate([self._codes, codes])

    def _search_int8(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        from tfreid.compression.int8_storage import encode_int8

        decoded_queries = encode_int8(queries, self._scales).decode()
        metric = faiss.METRIC_L2 if self.metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
        found_d, found_i = [], []
        for start in range(0, len(self._codes), _INT8_BLOCK):
            block = np.ascontiguousarray(
                self._codes[start:start + _INT8_BLOCK].astype(np.float32) * self._scales)
            d, i = faiss.knn(decoded_queries, block, min(k, len(block)), metric=metric)
            found_d.append(d)
            found_i.append(i + start)
        d, i = np.concatenate(found_d, axis=1), np.concatenate(found_i, axis=1)
        order = np.argsort(d if self.metric == "euclidean" else -d, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(d, order, 1), np.take_along_axis(i, order, 1)

    def search(self, queries: np.ndarray, k: int = 10, rerank: bool = False) -> SearchResult:
        """The ``k`` nearest entries of each query (fewer found: index -1, distance inf);
        ``rerank``: by k-reciprocal re-ranked distance over the queries and every entry
        (``tfreid.retrieval.reranked_search``, its cost there)."""
        if len(self) == 0:
            raise DataError("the index is empty: add embeddings before searching")
        if k < 1:
            raise ConfigError(f"k must be >= 1, got {k}")
        vectors = self._prepare(queries)
        if rerank:
            from tfreid.retrieval.reranked_search import reranked_rows

            distances, rows = reranked_rows(vectors, self.vectors(), k)
        else:
            distances, rows = self._nearest(vectors, k)
        padded = np.where(rows >= 0, rows, 0)
        fill = -1 if self.identities.dtype.kind in "iu" else ""
        identities = np.where(rows >= 0, self.identities[padded], fill)
        metadata = [[self.metadata[r] if r >= 0 else {} for r in row] for row in rows.tolist()]
        return SearchResult(distances, rows, identities, metadata)

    def _nearest(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "int8":
            raw, rows = self._search_int8(vectors, k)
        else:
            self._apply_search_parameters()
            raw, rows = self._faiss.search(vectors, k)
        return self._metric_distances(raw, rows), rows

    def vectors(self) -> np.ndarray:
        """(N, dim) float32: the entries as searched (unit vectors for cosine); the decoded
        codes for int8, the product-quantised reconstruction for ivfpq."""
        if self.kind == "int8":
            return self._codes.astype(np.float32) * self._scales
        if self.kind == "ivfpq":
            self._faiss.make_direct_map()
        return self._faiss.reconstruct_n(0, self._faiss.ntotal)

    def _metric_distances(self, raw: np.ndarray, rows: np.ndarray) -> np.ndarray:
        distances = np.sqrt(np.maximum(raw, 0.0)) if self.metric == "euclidean" else 1.0 - raw
        return np.where(rows >= 0, distances, np.inf).astype(np.float32)

    def _apply_search_parameters(self) -> None:
        import faiss

        if self.kind == "ivfpq":
            faiss.extract_index_ivf(self._faiss).nprobe = self.parameters["nprobe"]
        elif self.kind == "hnsw":
            self._faiss.hnsw.efSearch = self.parameters["ef_search"]

    def distances(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The metric's distance between rows a[i] and b[i] (pairs, not all against all)."""
        a, b = self._prepare(a), self._prepare(b)
        if len(a) != len(b):
            raise DataError(f"pairs need as many rows in a as in b: {len(a)} and {len(b)}")
        if self.metric == "cosine":
            return (1.0 - (a * b).sum(axis=1)).astype(np.float32)
        return np.linalg.norm(a - b, axis=1).astype(np.float32)

    # verification ------------------------------------------------------------------------

    def calibrate(self, queries: np.ndarray, query_identities: Any, target: str = "precision",
                  value: float = 0.99, k: int = 10) -> Calibration:
        """Pick and keep the threshold for ``target`` on held-out queries: each query paired
        with its ``k`` nearest entries, "same" where the identities agree."""
        result = self.search(queries, min(k, len(self)))
        same = result.identities == np.asarray(query_identities).reshape(-1, 1)
        found = result.indices >= 0
        calibration = calibrate(result.distances[found], same[found], target, value)
        self.calibration = calibration.summary()
        return calibration

    def match(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(same, distances) for pairs a[i], b[i]: same where the distance is within the
        calibrated threshold."""
        if self.threshold is None:
            raise DataError("the index has no threshold: calibrate it first")
        distances = self.distances(a, b)
        return distances <= self.threshold, distances

    # building, saving, loading -----------------------------------------------------------

    @classmethod
    def build(cls, model: Any, images: Any, identities: Any = None,
              metadata: list[dict] | None = None, metric: str = "euclidean",
              kind: str = "flat", batch_size: int | None = None, progress: bool = True,
              **parameters: int) -> "EmbeddingIndex":
        """An index of ``images`` embedded by a Keras encoder, SavedModel export or
        ``.tflite`` file (``tfreid.inference.embedder_for``)."""
        from tfreid.inference.embedder import embedder_for

        embedder = embedder_for(model)
        index = cls(embedder.dim, metric, kind, embedder.name, **parameters)
        index.add(embedder.embed(images, batch_size, progress), identities, metadata)
        return index

    def manifest(self) -> dict:
        """What ``manifest.json`` records: version, source model, dim, metric, kind,
        parameters, count, identity dtype and the calibration (or None)."""
        from tfreid import __version__

        return {"tfreid": __version__, "source": self.source, "dim": self.dim,
                "metric": self.metric, "kind": self.kind, "parameters": self.parameters,
                "count": len(self), "identity_dtype": self.identities.dtype.str,
                "calibration": self.calibration}

    def save(self, folder: str | Path, overwrite: bool = False) -> Path:
        """Write the index into ``folder`` atomically (an existing one: only with
        ``overwrite``, and only if tfreid wrote it); a full disk is an OutputError."""
        from tfreid.io.atomic import atomic_directory

        with naming_a_full_disk(f"index {folder}"), \
                atomic_directory(folder, overwrite=overwrite, kind="index") as staging:
            if self.kind == "int8":
                np.save(staging / "codes.npy", self._codes_or_empty())
                np.save(staging / "scales.npy", self._scales if self._scales is not None
                        else np.ones(self.dim, np.float32))
            elif self._faiss is not None:
                import faiss

                faiss.write_index(self._faiss, str(staging / "index.faiss"))
            np.save(staging / "identities.npy", self.identities, allow_pickle=False)
            (staging / "metadata.jsonl").write_text(
                "".join(json.dumps(m) + "\n" for m in self.metadata))
            (staging / MANIFEST).write_text(json.dumps(self.manifest(), indent=2) + "\n")
        return Path(folder)

    def _codes_or_empty(self) -> np.ndarray:
        return self._codes if self._codes is not None else np.zeros((0, self.dim), np.int8)

    @classmethod
    def _from_manifest(cls, folder: Path, info: Any) -> tuple["EmbeddingIndex", int]:
        """The empty index ``manifest.json`` describes, and its count."""
        try:
            index = cls(info["dim"], info["metric"], info["kind"], info["source"],
                        **info["parameters"])
            index.calibration = info.get("calibration")
            return index, int(info["count"])
        except KeyError as error:
            reason = f"it lacks {error}"
        except (TypeError, ValueError, AttributeError):
            reason = "not the manifest of a tfreid index"
        raise DataError(f"{folder / MANIFEST} is damaged ({reason}); {_rebuild(folder)}")

    @classmethod
    def load(cls, folder: str | Path) -> "EmbeddingIndex":
        """The index saved in ``folder``; a missing, damaged or inconsistent file is a
        DataError that names it."""
        folder = Path(folder)
        if not (folder / MANIFEST).is_file():
            raise DataError(f"{folder} is not a tfreid index (no {MANIFEST})")
        info = _read(folder, MANIFEST, lambda path: json.loads(path.read_text()),
                     "not valid JSON")
        index, count = cls._from_manifest(folder, info)
        index.identities = _read(folder, "identities.npy", _read_npy, "not a NumPy array")
        index.metadata = _read(folder, "metadata.jsonl", _read_jsonl, "not JSON lines")
        if index.kind == "int8":
            index._codes = _read(folder, "codes.npy", _read_npy, "not a NumPy array")
            index._scales = _read(folder, "scales.npy", _read_npy, "not a NumPy array")
        elif count:
            index._faiss = _read(folder, "index.faiss", _read_faiss,
                                 "faiss cannot read it: truncated, or not a faiss index",
                                 detail=False)
        index._check_count(folder, count)
        return index

    def _check_count(self, folder: Path, count: int) -> None:
        counts = {MANIFEST: count, "identities.npy": len(self.identities),
                  "metadata.jsonl": len(self.metadata)}
        if self._codes is not None:
            counts["codes.npy"] = len(self._codes)
        elif self._faiss is not None:
            counts["index.faiss"] = self._faiss.ntotal
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{name} {n}" for name, n in counts.items())
            raise DataError(f"index {folder} is inconsistent: its files disagree on the count "
                            f"({listed}); {_rebuild(folder)}")

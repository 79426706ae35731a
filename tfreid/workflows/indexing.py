"""What ``tfreid embed --index`` and ``search`` do with an ``ImageSource``'s embeddings: an
index of them, its search results as a table and as a ranked-results image (the pixels of
the entries found). ``tfreid evaluate``'s scoring is ``tfreid.evaluation.protocol``."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tfreid.data.dataset import Dataset
from tfreid.data.image_files import read_image
from tfreid.retrieval import Embedder, EmbeddingIndex, SearchResult
from tfreid.workflows.image_sources import ImageSource


def build_index(embedder: Embedder, source: ImageSource, metric: str, kind: str,
                batch_size: int = 128, **parameters: int) -> EmbeddingIndex:
    """An index of a source's embeddings, identities and metadata."""
    return EmbeddingIndex.build(embedder, source.images, source.identities, source.metadata,
                                metric, kind, batch_size, **parameters)


def search_table(result: SearchResult, queries: ImageSource, rows: list[int]) -> str:
    """The top k of each query as text: rank, distance, identity, match mark, file."""
    lines = [f"{'query':<28} {'rank':>4} {'distance':>9} {'identity':>10}  match  file"]
    for row in rows:
        name = Path(queries.metadata[row].get("file", str(row))).name[:28]
        for rank, (index, distance) in enumerate(zip(result.indices[row],
                                                     result.distances[row], strict=True)):
            if index < 0:
                continue
            identity = str(result.identities[row][rank])
            known = queries.identities[row] != "" and identity != ""
            mark = ("yes" if identity == queries.identities[row] else "no") if known else "?"
            file = Path(result.metadata[row][rank].get("file", "")).name
            lines.append(f"{name if rank == 0 else '':<28} {rank + 1:>4} {distance:>9.4f} "
                         f"{identity:>10}  {mark:<5}  {file}")
    return "\n".join(lines)


def pixels_of(entries: list[dict], image_size: tuple[int, int],
              opened: Sequence[Dataset] = ()) -> list[np.ndarray]:
    """The images metadata entries name (a file, or a row of a dataset split), in order.
    A dataset an entry names is opened once, unless it is one of ``opened``."""
    pixels: list[np.ndarray | None] = [None] * len(entries)
    by_split: dict[tuple[str, str], list[int]] = {}
    for position, entry in enumerate(entries):
        if "dataset" in entry:
            by_split.setdefault((entry["dataset"], entry["split"]), []).append(position)
        elif entry.get("file") and Path(entry["file"]).is_file():
            pixels[position] = read_image(Path(entry["file"]), image_size)
        else:
            pixels[position] = np.full((*image_size, 3), 200, np.uint8)  # nothing to show
    datasets = {str(dataset.path.resolve()): dataset for dataset in opened}
    for (where, split), positions in by_split.items():
        if where not in datasets:  # a dataset an index's metadata names, by its path
            datasets[where] = Dataset(where)
        rows = np.array([entries[p]["row"] for p in positions])
        images = datasets[where].split(split, image_size, input="stream").images
        for position, image in zip(positions, images.rows(rows), strict=True):
            pixels[position] = image
    return pixels


def ranked_image(result: SearchResult, queries: ImageSource, query_rows: list[int],
                 image_size: tuple[int, int]) -> np.ndarray:
    """``ranked_results_image`` of the first queries: true matches green, false ones red,
    unknown identities unframed."""
    from tfreid.plots.ranked import ranked_results_image

    found = [np.flatnonzero(result.indices[row] >= 0) for row in query_rows]
    entries = [queries.metadata[row] for row in query_rows] + [
        result.metadata[row][i] for row, columns in zip(query_rows, found, strict=True)
        for i in columns]
    opened = [queries.dataset] if queries.dataset is not None else []
    pixels = pixels_of(entries, image_size, opened)  # one read of each split for the image
    ranked, matches, captions, start = [], [], [], len(query_rows)
    for row, columns in zip(query_rows, found, strict=True):
        ranked.append(pixels[start:start + len(columns)])
        start += len(columns)
        known = queries.identities[row] != ""
        matches.append([bool(result.identities[row][i] == queries.identities[row])
                        if known and result.identities[row][i] != "" else None
                        for i in columns])
        captions.append([f"{i + 1}: {result.distances[row][i]:.3f}" for i in columns])
    return ranked_results_image(pixels[:len(query_rows)], ranked, matches, captions,
                                size=_drawing_size(image_size))


def _drawing_size(image_size: tuple[int, int]) -> tuple[int, int]:
    height, width = image_size
    scale = 128 / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))

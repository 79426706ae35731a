"""Easy / hard / junk ground truth (revisited Oxford / Paris protocol) for the surface set.

The revisited protocol labels each (query, gallery image) pair of one identity
easy, hard or junk (``tfreid.metrics.revisited``). The surface generator knows
how each view was photographed (``surfaces.view_geometry``: a quad on the
surface's canvas and a rotation), so a pair of views of one surface is:

* **easy** if the quads overlap with IoU >= 0.5 and the rotations differ by at
  most 15 degrees;
* **junk** if IoU < 0.15 (they barely show the same part of the surface);
* **hard** otherwise.

With the default jitter (+-16 px, +-20 deg) almost every pair is easy;
``SurfaceConfig.wide_views()`` gives all three kinds. The labels of the
held-out query / gallery pairs go into the dataset's manifest under
``revisited`` (query file name -> lists of easy, hard and junk gallery file
names), and ``revisited_masks`` turns them into (q, g) masks.
"""

from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tfreid.data.records import ImageRecord
from tfreid.data.surfaces import CANVAS, SurfaceConfig, view_geometry

RULE = ("easy: IoU >= 0.5 and rotations within 15 deg; junk: IoU < 0.15; hard: otherwise "
        "(quads of the two views on the surface)")
EASY_IOU, JUNK_IOU, EASY_DEGREES = 0.5, 0.15, 15.0
RASTER = 4  # quads are rasterised at 1/4 of the canvas


def quad_mask(quad: np.ndarray) -> np.ndarray:
    """Boolean raster of a quad over the (enlarged) canvas."""
    side = 3 * CANVAS // RASTER
    image = Image.new("1", (side, side), 0)
    ImageDraw.Draw(image).polygon([tuple(p) for p in (quad / RASTER + CANVAS // RASTER)],
                                  fill=1)
    return np.asarray(image, bool)


def quad_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two quads (rasterised)."""
    mask_a, mask_b = quad_mask(a), quad_mask(b)
    union = np.logical_or(mask_a, mask_b).sum()
    return float(np.logical_and(mask_a, mask_b).sum() / union) if union else 0.0


def pair_difficulty(first: tuple[np.ndarray, float], second: tuple[np.ndarray, float]) -> str:
    """'easy', 'hard' or 'junk' for two views' (quad, degrees) (module docstring)."""
    iou = quad_iou(first[0], second[0])
    if iou < JUNK_IOU:
        return "junk"
    if iou >= EASY_IOU and abs(first[1] - second[1]) <= EASY_DEGREES:
        return "easy"
    return "hard"


def revisited_ground_truth(config: SurfaceConfig, query: list[ImageRecord],
                           gallery: list[ImageRecord]) -> dict[str, Any]:
    """The manifest entry: the rule and, per query file, its easy / hard / junk gallery files.

    A record's identity and camera are the surface and the view it shows.
    """
    queries = {}
    for q in query:
        labels: dict[str, list[str]] = {"easy": [], "hard": [], "junk": []}
        first = view_geometry(config, q.identity, q.camera)
        for g in gallery:
            if g.identity == q.identity:
                difficulty = pair_difficulty(first, view_geometry(config, g.identity, g.camera))
                labels[difficulty].append(g.filename)
        queries[q.filename] = labels
    return {"rule": RULE, "queries": queries}


def revisited_masks(manifest: dict[str, Any], query_files: np.ndarray,
                    gallery_files: np.ndarray) -> dict[str, np.ndarray] | None:
    """(q, g) boolean easy / hard / junk masks from a manifest's ground truth, or None if it
    has none (or lacks one of these queries)."""
    truth = manifest.get("revisited", {}).get("queries")
    if not truth or any(name not in truth for name in query_files):
        return None
    column = {name: index for index, name in enumerate(gallery_files)}
    masks = {kind: np.zeros((len(query_files), len(gallery_files)), bool)
             for kind in ("easy", "hard", "junk")}
    for row, name in enumerate(query_files):
        for kind, names in truth[name].items():
            for gallery_name in names:
                if gallery_name in column:
                    masks[kind][row, column[gallery_name]] = True
    return masks

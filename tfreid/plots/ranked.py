"""Ranked results as one image, as torchreid's ``visrank`` draws them: each query on the
left, then its top k nearest, true matches framed green and false ones red."""

import numpy as np
from PIL import Image, ImageDraw

GREEN, RED, GREY = (0, 170, 0), (210, 0, 0), (128, 128, 128)


def _thumbnail(image: np.ndarray, size: tuple[int, int], frame: tuple[int, int, int] | None,
               border: int) -> Image.Image:
    height, width = size
    tile = Image.new("RGB", (width + 2 * border, height + 2 * border), frame or (255, 255, 255))
    tile.paste(Image.fromarray(np.asarray(image, np.uint8)).convert("RGB").resize(
        (width, height), Image.BILINEAR), (border, border))
    return tile


def ranked_results_image(queries: list[np.ndarray], ranked: list[list[np.ndarray]],
                         matches: list[list[bool | None]], captions: list[list[str]] | None = None,
                         size: tuple[int, int] = (128, 64), border: int = 4,
                         gap: int = 20) -> np.ndarray:
    """One row per query: the query (grey frame), a gap, then its ranked results framed
    green (true match), red (false) or not at all (None: identity unknown), each with an
    optional caption (rank, distance) below. Returns an (H, W, 3) uint8 image."""
    columns = max((len(row) for row in ranked), default=0)
    tile_h, tile_w = size[0] + 2 * border, size[1] + 2 * border
    caption_h = 12 if captions else 0
    row_h = tile_h + caption_h + border
    canvas = Image.new("RGB", (tile_w * (columns + 1) + gap, row_h * len(queries)), "white")
    draw = ImageDraw.Draw(canvas)
    for row, query in enumerate(queries):
        top = row * row_h
        canvas.paste(_thumbnail(query, size, GREY, border), (0, top))
        for column, image in enumerate(ranked[row]):
            match = matches[row][column]
            frame = None if match is None else (GREEN if match else RED)
            left = tile_w * (column + 1) + gap
            canvas.paste(_thumbnail(image, size, frame, border), (left, top))
            if captions:
                draw.text((left + border, top + tile_h), captions[row][column], fill="black")
    return np.asarray(canvas)

"""Saving a figure with the data it shows beside it."""

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from tfreid.io.atomic import atomic_file, write_json


def save_figure(figure: Figure, path: str | Path, data: dict[str, Any]) -> Path:
    """Write ``path`` (PNG) and ``path`` with suffix .json holding ``data``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout(rect=(0, 0.08 if figure.legends else 0, 1, 1))
    with atomic_file(path) as temporary:
        figure.savefig(temporary, dpi=120, format=path.suffix.lstrip(".") or "png")
    write_json(path.with_suffix(".json"), data)
    return path

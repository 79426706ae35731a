"""Saving a figure with the data it shows beside it."""

import json
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure


def save_figure(figure: Figure, path: str | Path, data: dict[str, Any]) -> Path:
    """Write ``path`` (PNG) and ``path`` with suffix .json holding ``data``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout(rect=(0, 0.08 if figure.legends else 0, 1, 1))
    figure.savefig(path, dpi=120)
    path.with_suffix(".json").write_text(json.dumps(data, indent=2, default=float) + "\n")
    return path

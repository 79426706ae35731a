"""Report of a compression sweep: table, headline ratio and the mAP-vs-bytes figure."""

from pathlib import Path
from typing import Any

from tfreid.io.atomic import write_json
from tfreid.metrics.measures import MAP, RANK1
from tfreid.plots.compression import plot_map_vs_bytes

RELATIVE_MAP_LOSS = 0.04  # paper 001's headline: 96x at about 4 % mAP


def best_ratio_within(rows: list[dict[str, Any]],
                      loss: float = RELATIVE_MAP_LOSS) -> dict[str, Any] | None:
    """The row of largest compression ratio whose mAP >= (1 - loss) x the baseline's float mAP."""
    base = next(r for r in rows if r["method"] == "baseline" and r["precision"] == "float32")
    good = [r for r in rows if r[MAP.key] >= (1.0 - loss) * base[MAP.key]]
    return max(good, key=lambda r: (r["compression_ratio"], r[MAP.key]), default=None)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """One line per (method, dim, precision)."""
    lines = ["| method | dims | precision | bytes / embedding | ratio | rank-1 | mAP "
             "| model bytes | extra epochs |", "|---" * 9 + "|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['dim']} | {r['precision']} | "
                     f"{r['bytes_per_embedding']} | {r['compression_ratio']:.0f}x | "
                     f"{r[RANK1.key]:.3f} | {r[MAP.key]:.3f} | {r['model_bytes']:,} | "
                     f"{r['extra_epochs']} |")
    return "\n".join(lines) + "\n"


def write_compression_report(rows: list[dict[str, Any]], out_dir: Path,
                             settings: dict[str, Any]) -> dict[str, Path]:
    """results.json, results.md (table and headline) and map_vs_bytes.png in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    best = best_ratio_within(rows)
    base = rows[0]
    headline = (f"Baseline: {base['dim']} float32 dims, mAP {base[MAP.key]:.3f}. "
                "Largest compression "
                f"within {RELATIVE_MAP_LOSS:.0%} relative mAP: "
                + (f"{best['compression_ratio']:.0f}x ({best['method']}, {best['dim']} dims, "
                   f"{best['precision']}, mAP {best[MAP.key]:.3f})." if best else "none."))
    paths = {"json": out_dir / "results.json", "table": out_dir / "results.md"}
    write_json(paths["json"], {"settings": settings, "rows": rows, "headline": headline})
    paths["table"].write_text(markdown_table(rows) + "\n" + headline + "\n")
    paths["figure"] = plot_map_vs_bytes(rows, out_dir / "map_vs_bytes.png")
    return paths

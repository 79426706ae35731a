"""Checked value types for command-line options (argparse ``type=``), below every layer.

They reject what cannot work before anything is loaded: negative or huge
seeds, infinite widths, fractions outside (0, 1), image sizes beyond
``MAX_IMAGE_SIDE``; the message becomes one ``error:`` line.
"""

import argparse
import math
from collections.abc import Callable

from tfreid.limits import MAX_IMAGE_SIDE, MAX_SEED


def int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def float_in(low: float, high: float, low_open: bool = False,
             high_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite float in the interval between ``low`` and ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        below = value <= low if low_open else value < low
        above = value >= high if high_open else value > high
        if not math.isfinite(value) or below or above:
            interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            raise argparse.ArgumentTypeError(f"must be finite and in {interval}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


seed = int_in(0, MAX_SEED)
positive_int = int_in(1)
positive_float = float_in(0.0, math.inf, low_open=True)
fraction = float_in(0.0, 1.0, low_open=True, high_open=True)


def image_size(text: str) -> int | tuple[int, int]:
    """'64' -> 64; '128x64' -> (128, 64); each side in [1, MAX_IMAGE_SIDE]."""
    try:
        sides = tuple(int(side) for side in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use 64 or 128x64)") from None
    if len(sides) not in (1, 2):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use 64 or 128x64)")
    if not all(1 <= side <= MAX_IMAGE_SIDE for side in sides):
        raise argparse.ArgumentTypeError(
            f"image sides must lie in [1, {MAX_IMAGE_SIDE}] px, got {text!r}")
    return sides[0] if len(sides) == 1 else sides

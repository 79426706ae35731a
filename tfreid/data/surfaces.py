"""The embedded default dataset: synthetic surface re-identification.

In the spirit of galvanized-636 and pallet-block-502 (paper 000): every identity
is one surface with a unique texture (multi-scale value noise, a Voronoi pattern
of spangles with their own brightness and facet gradient, fine grain and a faint
tint); every view photographs that surface again under a different crop,
rotation, perspective, lighting gradient, gamma, blur and sensor noise. Views
are 256 px squares, so resolution can be lowered later (paper 000, Fig. 1).
Everything is drawn from ``numpy.random.default_rng([seed, identity, view])``:
the same arguments always give the same pixels.
"""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from tfreid.data.records import ImageRecord
from tfreid.errors import DataError

CANVAS = 384


@dataclass(frozen=True)
class SurfaceConfig:
    """Size and difficulty of the generated set."""

    num_identities: int = 300
    views_per_identity: int = 6
    image_size: int = 256
    test_fraction: float = 0.3
    seed: int = 0
    max_rotation_deg: float = 20.0
    max_perspective: float = 0.06
    jpeg_quality: int = 92
    max_shift_px: float = 16.0
    min_scale: float = 0.9
    max_scale: float = 1.1

    @classmethod
    def wide_views(cls, **settings) -> "SurfaceConfig":
        """Views that differ far more (shift +-88 px, rotation +-18 deg, scale 0.6-0.95):
        some pairs of views of one surface overlap little, so easy, hard and junk pairs
        all occur (``tfreid.data.revisited``; about 14 % easy, 72 % hard, 14 % junk)."""
        wide = dict(max_shift_px=88.0, max_rotation_deg=18.0, min_scale=0.6, max_scale=0.95,
                    max_perspective=0.08)
        return cls(**{**wide, **settings})

    def check(self) -> None:
        """DataError naming the first setting that cannot make a re-id dataset."""
        if self.num_identities < 4 or self.views_per_identity < 2:
            raise DataError(f"a surface set needs >= 4 identities with >= 2 views each, got "
                            f"{self.num_identities} x {self.views_per_identity}")
        if not 0.0 < self.min_scale <= self.max_scale or self.max_shift_px < 0:
            raise DataError("scales must satisfy 0 < min_scale <= max_scale and the shift be "
                            ">= 0")
        if not 16 <= self.image_size <= 1024 or not 0.0 < self.test_fraction < 1.0:
            raise DataError(f"image size must lie in [16, 1024] px and test fraction in (0, 1), "
                            f"got {self.image_size} and {self.test_fraction}")


def _value_noise(rng: np.random.Generator, cells: int) -> np.ndarray:
    grid = rng.random((cells, cells)).astype(np.float32)
    image = Image.fromarray(grid, mode="F").resize((CANVAS, CANVAS), Image.BICUBIC)
    return np.asarray(image)


def _spangles(rng: np.random.Generator) -> np.ndarray:
    """Voronoi spangles: a flat level and a facet gradient per cell.

    Cells are assigned on a quarter-resolution grid and scaled up (nearest), four
    times cheaper than a full-resolution assignment and just as spangle-like.
    """
    count = int(rng.integers(25, 60))
    seeds = rng.random((count, 2)) * CANVAS
    coarse = np.arange(CANVAS // 4, dtype=np.float32) * 4 + 1.5
    squared = ((coarse[:, None, None] - seeds[:, 0]) ** 2
               + (coarse[None, :, None] - seeds[:, 1]) ** 2)
    cell = np.repeat(np.repeat(squared.argmin(axis=-1), 4, axis=0), 4, axis=1)
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float32)
    level = rng.normal(0.0, 1.0, count)[cell]
    angle = rng.uniform(0, 2 * np.pi, count)
    facet = (np.cos(angle)[cell] * (xx - seeds[cell, 1])
             + np.sin(angle)[cell] * (yy - seeds[cell, 0]))
    return level + facet / 40.0


def surface_texture(seed: int, identity: int) -> np.ndarray:
    """The CANVAS x CANVAS x 3 float texture (values in [0, 1]) of one identity."""
    rng = np.random.default_rng([seed, identity])
    noise = sum(w * _value_noise(rng, c) for w, c in ((1.0, 6), (0.6, 12), (0.4, 24), (0.25, 48)))
    grain = rng.normal(0.0, 1.0, (CANVAS, CANVAS)).astype(np.float32)
    gray = 0.5 * noise / 2.25 + 0.12 * _spangles(rng) + 0.04 * grain
    gray = (gray - gray.mean()) / (gray.std() + 1e-6)
    gray = 0.5 + 0.16 * gray
    tint = 1.0 + rng.normal(0.0, 0.04, 3).astype(np.float32)
    return np.clip(gray[..., None] * tint, 0.0, 1.0)


def _perspective_coefficients(source_quad: np.ndarray, size: int) -> list[float]:
    """PIL PERSPECTIVE coefficients mapping the output square onto ``source_quad``."""
    target = np.array([[0, 0], [size, 0], [size, size], [0, size]], dtype=np.float64)
    rows = []
    for (x, y), (u, v) in zip(target, source_quad, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return np.linalg.solve(np.array(rows), source_quad.reshape(-1)).tolist()


def _view_quad(rng: np.random.Generator, config: SurfaceConfig) -> tuple[np.ndarray, float]:
    """The canvas quad a view photographs, and its rotation in degrees."""
    half = config.image_size / 2 * rng.uniform(config.min_scale, config.max_scale)
    degrees = rng.uniform(-config.max_rotation_deg, config.max_rotation_deg)
    angle = np.deg2rad(degrees)
    centre = CANVAS / 2 + rng.uniform(-config.max_shift_px, config.max_shift_px, 2)
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64) * half
    corners += rng.uniform(-1, 1, (4, 2)) * config.max_perspective * 2 * half
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return corners @ rotation.T + centre, float(degrees)


def view_geometry(config: SurfaceConfig, identity: int, view: int) -> tuple[np.ndarray, float]:
    """(quad (4, 2) on the canvas, rotation in degrees) of one view, as rendered."""
    return _view_quad(np.random.default_rng([config.seed, identity, 1000 + view]), config)


def render_view(texture: np.ndarray, config: SurfaceConfig, identity: int, view: int) -> np.ndarray:
    """One photograph (image_size x image_size x 3 uint8) of a surface texture."""
    rng = np.random.default_rng([config.seed, identity, 1000 + view])
    canvas = Image.fromarray((texture * 255).astype(np.uint8))
    coefficients = _perspective_coefficients(_view_quad(rng, config)[0], config.image_size)
    photo = canvas.transform((config.image_size,) * 2, Image.PERSPECTIVE, coefficients,
                             resample=Image.BILINEAR)
    photo = photo.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.0, 1.5))))
    pixels = np.asarray(photo).astype(np.float32) / 255.0
    ramp = np.linspace(-1.0, 1.0, config.image_size, dtype=np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    gradient = np.cos(direction) * ramp[None, :] + np.sin(direction) * ramp[:, None]
    light = rng.uniform(0.75, 1.25) * (1.0 + rng.uniform(0.0, 0.25) * gradient)
    pixels = np.clip(pixels * light[..., None], 0.0, 1.0) ** rng.uniform(0.8, 1.25)
    pixels += rng.normal(0.0, 0.015, pixels.shape).astype(np.float32)
    return (np.clip(pixels, 0.0, 1.0) * 255).round().astype(np.uint8)


def _encode_jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def surface_records(config: SurfaceConfig) -> dict[str, list[ImageRecord]]:
    """All views, split by identity into train / query / gallery.

    A ``test_fraction`` of identities (seeded) is held out from training; each
    held-out identity gives one query view (its camera = view index) and its
    other views form the gallery.
    """
    config.check()
    rng = np.random.default_rng([config.seed, 7])
    order = rng.permutation(config.num_identities)
    num_test = max(2, round(config.num_identities * config.test_fraction))
    test_ids = set(order[:num_test].tolist())
    splits: dict[str, list[ImageRecord]] = {"train": [], "query": [], "gallery": []}
    for identity in range(config.num_identities):
        texture = surface_texture(config.seed, identity)
        query_view = int(rng.integers(config.views_per_identity))
        for view in range(config.views_per_identity):
            pixels = render_view(texture, config, identity, view)
            record = ImageRecord(
                image=_encode_jpeg(pixels, config.jpeg_quality), identity=identity, camera=view,
                filename=f"surface{identity:04d}_view{view:02d}.jpg",
                height=config.image_size, width=config.image_size)
            if identity not in test_ids:
                splits["train"].append(record)
            else:
                splits["query" if view == query_view else "gallery"].append(record)
    return splits

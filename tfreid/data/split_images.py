"""The images of a split, one protocol with two implementations.

``SplitImages`` is what every split's ``images`` is: ``ArrayImages`` holds the
decoded (N, H, W, 3) uint8 pixels in memory, ``tfreid.data.record_images.
RecordImages`` reads them from the TFRecord shards when a batch needs them.
Both have ``len``, ``shape``, ``dtype``, indexing (an index array, mask or slice
gives the images of those entries, of the same kind), ``batches`` (the pixels in
order, for embedding), ``rows`` (the pixels at some rows, as an array),
``gather`` (the pixels at an index tensor, inside a tf.data pipeline or a
``train_step``) and ``concatenate``. ``compiles_in_xla`` says whether ``gather``
may run inside an XLA-compiled function (``RecordImages`` reads its shards in a
``tf.py_function``, which XLA cannot compile). Code above ``tfreid.data`` calls
these and never asks which kind it holds.
"""

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from tfreid.backend import tf


@runtime_checkable
class SplitImages(Protocol):
    """Images of a split, in memory or on disk (module docstring)."""

    dtype: np.dtype
    in_memory: bool
    compiles_in_xla: bool

    def __len__(self) -> int: ...

    @property
    def shape(self) -> tuple[int, int, int, int]: ...

    @property
    def image_size(self) -> tuple[int, int]: ...

    def __getitem__(self, index: Any) -> "SplitImages": ...

    def batches(self, batch_size: int) -> Iterator[np.ndarray]: ...

    def rows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray: ...

    def gather(self, index: tf.Tensor) -> tf.Tensor: ...


class ArrayImages:
    """Decoded uint8 images (N, H, W, 3) held in memory.

    ``np.asarray(images)`` gives the array itself (no copy). ``gather`` keeps one
    constant tensor of the pixels, made eagerly on first use (even when that use is
    inside a traced function), so every tf.data pipeline or model that gathers
    from it shares one copy.
    """

    dtype = np.dtype(np.uint8)
    in_memory = True
    compiles_in_xla = True

    def __init__(self, array: np.ndarray):
        array = np.asarray(array)
        if array.ndim != 4 or array.shape[-1] != 3:
            raise ValueError(f"images must be (N, H, W, 3), got shape {array.shape}")
        self.array = array.astype(np.uint8, copy=False)
        self._tensor = None

    def __len__(self) -> int:
        return len(self.array)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.array if dtype is None else self.array.astype(dtype)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return tuple(self.array.shape)

    @property
    def image_size(self) -> tuple[int, int]:
        return tuple(self.array.shape[1:3])

    def __getitem__(self, index: Any) -> "ArrayImages":
        if isinstance(index, tuple) or index is Ellipsis:
            raise TypeError("images are indexed by rows only (an index, index array, mask or "
                            "slice); np.asarray(images) gives the pixel array")
        picked = self.array[index]
        return ArrayImages(picked if picked.ndim == 4 else picked[None])

    def batches(self, batch_size: int) -> Iterator[np.ndarray]:
        """The pixels in order, ``batch_size`` images at a time."""
        for start in range(0, len(self.array), batch_size):
            yield self.array[start:start + batch_size]

    def rows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The pixels at ``rows``, (len(rows), H, W, 3) uint8."""
        return self.array[np.asarray(rows, np.int64)]

    def gather(self, index: tf.Tensor) -> tf.Tensor:
        """The images at ``index`` (any int tensor), shaped index.shape + (H, W, 3)."""
        if self._tensor is None:
            with tf.init_scope():  # eager, not a tensor of the graph being traced
                self._tensor = tf.constant(self.array)
        return tf.gather(self._tensor, index)

    @staticmethod
    def concatenate(parts: list["ArrayImages"]) -> "ArrayImages":
        return ArrayImages(np.concatenate([part.array for part in parts]))


def as_images(images: Any) -> SplitImages:
    """``images`` as ``SplitImages``: itself if it is one, else an (N, H, W, 3) array."""
    if isinstance(images, SplitImages):
        return images
    return ArrayImages(np.asarray(images))


def concatenate_images(parts: list[SplitImages]) -> SplitImages:
    """One ``SplitImages`` of ``parts`` in turn (all of one kind)."""
    kinds = {type(part) for part in parts}
    if not kinds:
        raise ValueError("no images to concatenate")
    if len(kinds) != 1:
        raise TypeError("cannot concatenate images of different kinds: "
                        f"{', '.join(sorted(k.__name__ for k in kinds))}")
    return kinds.pop().concatenate(parts)

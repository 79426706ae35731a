"""One split of a dataset: its images (in memory or on disk) and their labels."""

from dataclasses import dataclass

import numpy as np

from tfreid.data.split_images import SplitImages, as_images, concatenate_images


@dataclass
class Split:
    """A split's images (``SplitImages``: ``ArrayImages`` in memory, ``RecordImages``
    streamed from the shards) and, per image, identity, camera and file name.

    A plain (N, H, W, 3) uint8 array given as ``images`` is held as ``ArrayImages``,
    so ``Split(array, identities, cameras, filenames)`` works as it did.
    """

    images: SplitImages
    identities: np.ndarray
    cameras: np.ndarray
    filenames: np.ndarray

    def __post_init__(self) -> None:
        self.images = as_images(self.images)

    def __len__(self) -> int:
        return len(self.identities)

    @property
    def image_size(self) -> tuple[int, int]:
        """(height, width) of the images."""
        return tuple(self.images.shape[1:3])

    def subset(self, mask_or_index: np.ndarray) -> "Split":
        """The entries selected by a boolean mask or an index array."""
        return Split(self.images[mask_or_index], self.identities[mask_or_index],
                     self.cameras[mask_or_index], self.filenames[mask_or_index])

    @staticmethod
    def concatenate(parts: list["Split"]) -> "Split":
        """One Split of the entries of ``parts`` in order (their images of one kind)."""
        return Split(concatenate_images([part.images for part in parts]),
                     *(np.concatenate([getattr(part, field) for part in parts])
                       for field in ("identities", "cameras", "filenames")))


SplitArrays = Split  # the name of earlier versions

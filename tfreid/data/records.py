"""One image with its labels, as an importer produces it and the writer stores it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRecord:
    """One image with its labels, ready to be serialised (``tfreid.data.schema``)."""

    image: bytes
    identity: int
    camera: int
    filename: str
    height: int
    width: int

"""The one TFRecord schema of tfreid datasets.

Each record is a ``tf.train.Example`` with these features:

=========  ======  ==========================================================
key        type    meaning
=========  ======  ==========================================================
image      bytes   the encoded image (JPEG or PNG), as read from its source
identity   int64   who or what the image shows (>= 0; 0 may be a distractor)
camera     int64   camera / viewpoint the image was taken from (>= 0)
filename   bytes   name of the source file as the file system stores it
                   (``os.fsencode``; read back with ``os.fsdecode``)
height     int64   height of the encoded image in pixels
width      int64   width of the encoded image in pixels
=========  ======  ==========================================================

Streamed training (``--input stream``) reads records by their byte offsets
(``tfreid.data.record_index``), so the shards need no particular layout: any
number, any size, identities in any order. Storing images at the size a model
trains at saves their resize on every read.
"""

import os

from tfreid.backend import tf
from tfreid.data.records import ImageRecord

FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "identity": tf.io.FixedLenFeature([], tf.int64),
    "camera": tf.io.FixedLenFeature([], tf.int64),
    "filename": tf.io.FixedLenFeature([], tf.string),
    "height": tf.io.FixedLenFeature([], tf.int64),
    "width": tf.io.FixedLenFeature([], tf.int64),
}


def _int64(value: int) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def serialize_record(record: ImageRecord) -> bytes:
    """Serialise a record as a ``tf.train.Example`` in the schema above."""
    feature = {
        "image": _bytes(record.image),
        "identity": _int64(record.identity),
        "camera": _int64(record.camera),
        "filename": _bytes(os.fsencode(record.filename)),
        "height": _int64(record.height),
        "width": _int64(record.width),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def parse_record(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
    """Parse one serialised example into a dict of tensors (image still encoded)."""
    return tf.io.parse_single_example(serialized, FEATURES)

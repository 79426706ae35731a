"""Importers: image collections on disk -> ``ImportedDataset``, one file each, registered in
``tfreid.catalog.IMPORTERS`` (``make_tfrecords <name>``).

An importer is an ``Importer``: its command-line options (``add_arguments``)
and ``collect(args, progress)``. Importer modules import TensorFlow only
inside ``collect``, so ``make_tfrecords --help`` answers at once.
"""

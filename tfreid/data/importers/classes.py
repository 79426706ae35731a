"""Class-labelled datasets (``tfreid.data.class_datasets``): IDX folders, Fashion-MNIST,
scikit-learn's digits, and MNIST / CIFAR-10 through keras.datasets (they download)."""

import argparse

from tfreid.data.imported import ImportedDataset
from tfreid.data.importers.base import Importer, Progress
from tfreid.data.names import FASHION_MNIST_DIR
from tfreid.option_types import fraction, seed


class IdxImporter(Importer):
    """A folder of MNIST-layout IDX files."""

    name = "idx"
    help = "a folder of MNIST-layout IDX files (train-*, t10k-*)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("root", help="the folder of IDX files")

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        from tfreid.data.class_datasets import idx_records

        return ImportedDataset(idx_records(args.root), f"idx {args.root}")


class FashionMnistImporter(Importer):
    """Fashion-MNIST from Debian's dataset-fashion-mnist package."""

    name = "fashion-mnist"
    help = "Fashion-MNIST from Debian's dataset-fashion-mnist package"
    default_out = "tfrecords/fashion-mnist"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--root", default=FASHION_MNIST_DIR,
                            help="the folder of the package's IDX files")

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        from tfreid.data.class_datasets import class_dataset_records

        return class_dataset_records("fashion-mnist", root=args.root)


class DigitsImporter(Importer):
    """scikit-learn's 8x8 handwritten digits, split by class."""

    name = "digits"
    help = "scikit-learn's 8x8 handwritten digits"
    default_out = "tfrecords/digits"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--test-fraction", type=fraction, default=0.3,
                            help="share of each class's images held out for testing")
        parser.add_argument("--seed", type=seed, default=0, help="seed of the held-out draw")

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        from tfreid.data.class_datasets import class_dataset_records

        return class_dataset_records("digits", test_fraction=args.test_fraction,
                                     seed=args.seed)


class KerasDatasetImporter(Importer):
    """MNIST or CIFAR-10 through keras.datasets (needs the network)."""

    @property
    def help(self) -> str:
        return f"{self.name} via keras.datasets (downloads)"

    @property
    def default_out(self) -> str:
        return f"tfrecords/{self.name}"

    def collect(self, args: argparse.Namespace, progress: Progress = None) -> ImportedDataset:
        from tfreid.data.class_datasets import class_dataset_records

        return class_dataset_records(self.name)

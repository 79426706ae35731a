"""Names of datasets and augmentations, importable without TensorFlow (for command lines)."""

from tfreid.catalog import AUGMENTATIONS as AUGMENTATION_REGISTRY

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist
KERAS_DATASETS = ("mnist", "cifar10")  # through keras.datasets: they download
CLASS_DATASETS = ("fashion-mnist", "digits", *KERAS_DATASETS)
AUGMENTATIONS = AUGMENTATION_REGISTRY.names()  # ("none", "fer", "simclr", "crop_flip")

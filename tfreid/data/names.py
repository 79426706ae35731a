"""Names of datasets and augmentations, importable without TensorFlow (for command lines)."""

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist
KERAS_DATASETS = ("mnist", "cifar10")  # through keras.datasets: they download
CLASS_DATASETS = ("fashion-mnist", "digits", *KERAS_DATASETS)
AUGMENTATIONS = ("none", "fer", "simclr", "crop_flip")

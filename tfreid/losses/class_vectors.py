"""``ClassVectors``: one seeded vector per class as a Keras layer that a loss attaches to its
model (``tfreid.nn.embedding_trainer``), so the vectors train (or are stepped), save and
resume with it while the encoder alone is exported: ProxyNCA's and the margin softmaxes'
proxies, the identity classifier's kernel, the center loss's centers.

A subclass names the attribute (and checkpoint key) holding the (num_classes,
embedding_dim) float32 weight, the weight's name, whether the optimizer trains it and how
replicas aggregate writes to it; the layer passes its input through.

Example::

    from tfreid.losses.class_vectors import ClassVectors

    class Prototypes(ClassVectors):
        attribute, weight_name, what = "prototypes", "prototypes", "my loss"

    layer = Prototypes(num_classes=4, embedding_dim=16)
    assert tuple(layer.prototypes.shape) == (4, 16)
"""

from typing import Any, ClassVar

import numpy as np

from tfreid.backend import keras, tf
from tfreid.errors import ConfigError


class ClassVectors(keras.layers.Layer):
    """A (num_classes, embedding_dim) weight drawn from N(0, ``std``^2), seeded by ``seed``
    (module docstring)."""

    attribute: ClassVar[str] = "vectors"
    weight_name: ClassVar[str] = "vectors"
    what: ClassVar[str] = "class vectors"  # names the owner in errors
    trained: ClassVar[bool] = True
    aggregation: ClassVar[Any] = tf.VariableAggregation.NONE
    default_std: ClassVar[float] = 1.0

    def __init__(self, num_classes: int, embedding_dim: int, seed: int = 0,
                 std: float | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if num_classes < 2 or embedding_dim < 1:
            raise ConfigError(f"{self.what} needs >= 2 classes and >= 1 dimension, got "
                              f"{num_classes} classes x {embedding_dim}")
        self.num_classes, self.embedding_dim = int(num_classes), int(embedding_dim)
        self.seed = int(seed)
        self.std = float(self.default_std if std is None else std)
        weight = self.add_weight(name=self.weight_name, shape=(num_classes, embedding_dim),
                                 initializer="zeros", trainable=self.trained, dtype="float32",
                                 aggregation=self.aggregation)
        weight.assign(np.random.default_rng(seed).normal(
            scale=self.std, size=(num_classes, embedding_dim)).astype(np.float32))
        setattr(self, self.attribute, weight)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return inputs

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "num_classes": self.num_classes,
                  "embedding_dim": self.embedding_dim, "seed": self.seed}
        return config if self.std == self.default_std else {**config, "std": self.std}

"""Generalized-mean (GeM) pooling: a learnable pooling between average and max.

Radenović, Tolias and Chum, "Fine-tuning CNN Image Retrieval with No Human Annotation",
TPAMI 2018, eq. 2: for each channel ``c`` of an (H, W, C) feature map ``x``,

    f_c = ( 1 / (H W)  sum_{h,w}  max(x_hwc, eps)^p )^(1/p)

p = 1 is average pooling, p -> infinity max pooling; p is one trainable scalar shared by
the channels (initially 3, as in the paper and fast-reid). The clamp at ``eps`` keeps the
power and its gradients finite at zeros (ReLU outputs). For large p the mean is taken of
``(x / m)^p`` with ``m`` the channel's maximum, then multiplied back by ``m``: the same
value (for any constant m), without float32 overflow. The layer computes in float32 also
under a mixed-precision policy.

Example::

    import numpy as np
    from tfreid.models.pooling import GeneralizedMeanPooling

    features = np.ones((2, 4, 4, 8), np.float32)
    pooled = GeneralizedMeanPooling(p=3.0)(features)   # (N, H, W, C) -> (N, C)
    assert pooled.shape == (2, 8)
"""

from typing import Any

from tfreid.backend import keras, serializable, tf

GEM_EPSILON = 1e-6


def generalized_mean(x: tf.Tensor, p: tf.Tensor, epsilon: float = GEM_EPSILON) -> tf.Tensor:
    """``(mean_{H,W} max(x, eps)^p)^(1/p)`` of an (N, H, W, C) ``x``: (N, C), float32.

    Example: ``generalized_mean([[[[1.], [2.]], [[3.], [4.]]]], 2.0)`` is
    ``sqrt((1 + 4 + 9 + 16) / 4) = sqrt(7.5)``.
    """
    x = tf.maximum(tf.cast(x, tf.float32), epsilon)
    p = tf.cast(p, tf.float32)
    scale = tf.stop_gradient(tf.reduce_max(x, axis=[1, 2], keepdims=True))
    mean = tf.reduce_mean(tf.pow(x / scale, p), axis=[1, 2])
    return tf.pow(mean, 1.0 / p) * tf.squeeze(scale, axis=[1, 2])


@serializable
class GeneralizedMeanPooling(keras.layers.Layer):
    """Global GeM pooling of channels-last feature maps (module docstring): (N, H, W, C)
    -> (N, C). ``p`` is the initial exponent, learnt unless ``train_p`` is False;
    ``epsilon`` the clamp. The layer's dtype is float32 unless given."""

    def __init__(self, p: float = 3.0, train_p: bool = True, epsilon: float = GEM_EPSILON,
                 **kwargs: Any):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.initial_p, self.train_p, self.epsilon = float(p), bool(train_p), float(epsilon)
        self.p = self.add_weight(name="p", shape=(), dtype="float32",
                                 initializer=keras.initializers.Constant(self.initial_p),
                                 trainable=self.train_p)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return generalized_mean(inputs, tf.convert_to_tensor(self.p), self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> tf.TensorShape:
        shape = tf.TensorShape(input_shape)
        return tf.TensorShape([shape[0], shape[-1]])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "p": self.initial_p, "train_p": self.train_p,
                "epsilon": self.epsilon}

"""Input preprocessing as layers inside the encoder, so exports take raw uint8 pixels."""

from typing import Any

from tfreid.backend import keras, serializable, tf

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)  # keras.applications' "caffe" mode (ResNet50)


@serializable
class CaffePreprocessing(keras.layers.Layer):
    """RGB pixels in [0, 255] -> BGR minus the ImageNet channel means (ResNet50's input).

    Example::

        from tfreid.backend import keras
        from tfreid.models.preprocessing import CaffePreprocessing

        x = CaffePreprocessing()(keras.Input((224, 224, 3)))
    """

    def call(self, images: tf.Tensor) -> tf.Tensor:
        bgr = tf.reverse(tf.cast(images, self.compute_dtype), axis=[-1])
        return bgr - tf.constant(CAFFE_MEAN_BGR, self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return super().get_config()

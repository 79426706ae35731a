"""Batch normalisation over the global batch of a ``tf.distribute`` run."""

from tfreid.backend import keras


def synchronize_batch_norm(model: keras.Model) -> int:
    """Make every BatchNormalization layer of ``model`` (nested models too) compute its
    training statistics over all replicas (Keras' ``synchronized=True``); how many.

    Call it before the model trains: the setting is read when the training step
    is traced. It changes nothing outside a strategy or with one replica; a
    saved model keeps plain batch normalisation (inference uses the moving
    statistics either way).
    """
    layers = [layer for layer in model.submodules
              if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        layer.synchronized, layer.fused = True, False
    return len(layers)

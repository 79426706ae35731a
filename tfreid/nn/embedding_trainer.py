"""An encoder together with the layers its loss owns, as one Keras model."""

from typing import Any

from tfreid.backend import check_tf_keras, keras, serializable, tf


@serializable
class EmbeddingTrainer(keras.Model):
    """The encoder plus its loss's own layers (ProxyNCA's proxies, a cross-batch memory).

    Keras trains, checkpoints (``BackupAndRestore``), saves and loads a model's
    own variables only; a loss's variables would otherwise be left untrained or
    lost on resume. This model tracks them beside the encoder and outputs the
    encoder's embeddings. Make one with ``loss.attach(encoder)``; a loss given
    an ``EmbeddingTrainer`` that already holds its kind of layer (one loaded
    from a file, say) adopts that layer, so training resumes with its weights.

    Example::

        loss = ProxyNCALoss(num_classes=100, embedding_dim=128)
        model = loss.attach(encoder)
        model.compile("adam", loss=loss)
        model.fit(pk_batches, epochs=10, steps_per_epoch=100)
        model.save("trainer.keras")  # proxies included
    """

    def __init__(self, encoder: keras.Model, state_layers: list[keras.layers.Layer] = (),
                 **kwargs: Any):
        super().__init__(**kwargs)
        check_tf_keras(encoder, "the encoder")
        self.encoder = encoder
        self.state_layers = list(state_layers)
        if encoder.built and encoder.inputs:
            self.build(encoder.input_shape)

    def call(self, inputs: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        return self.encoder(inputs, training=training)

    def state_layer(self, kind: type) -> keras.layers.Layer | None:
        """The first state layer of class ``kind``, if any."""
        return next((layer for layer in self.state_layers if isinstance(layer, kind)), None)

    def with_state(self, layer: keras.layers.Layer) -> "EmbeddingTrainer":
        """This trainer with ``layer`` tracked too (a second loss's state)."""
        return EmbeddingTrainer(self.encoder, [*self.state_layers, layer], name=self.name)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name,
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "state_layers": [keras.saving.serialize_keras_object(layer)
                                 for layer in self.state_layers]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "EmbeddingTrainer":
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["state_layers"] = [keras.saving.deserialize_keras_object(layer)
                                  for layer in config["state_layers"]]
        return cls(**config)


def attach_state(model: keras.Model, layer: keras.layers.Layer) -> tuple[EmbeddingTrainer,
                                                                          keras.layers.Layer]:
    """(trainer, layer in use): ``model`` wrapped with ``layer``, or, if ``model`` already
    is a trainer holding a layer of the same kind, that trainer and its layer."""
    check_tf_keras(model, "the model")
    if isinstance(model, EmbeddingTrainer):
        existing = model.state_layer(type(layer))
        if existing is not None:
            return model, existing
        return model.with_state(layer), layer
    return EmbeddingTrainer(model, [layer], name=f"{model.name}_trainer"), layer

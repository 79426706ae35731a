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

        import tfreid
        from tfreid.losses import ProxyNCALoss

        loss = ProxyNCALoss(num_classes=4, embedding_dim=16)
        model = loss.attach(encoder)          # an EmbeddingTrainer: the encoder and the proxies
        model.compile("adam", loss=loss)
        model.fit(images, labels, epochs=1, verbose=0)
        model.save("trainer.keras")  # proxies included
        assert tfreid.load_model("trainer.keras").state_layers
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

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile as saved, then attach each stateful loss to this trainer's own layers.

        Keras rebuilds the saved loss anew: without this, a ProxyNCA loss or a cross-batch
        memory would hold fresh layers of its own (untrained, and loading would look for
        their variables under ``loss/`` where the file has none), not the proxies or bank
        this trainer holds and loads."""
        super().compile_from_config(config)
        for loss in stateful_losses(getattr(self, "loss", None)):
            if not loss.attached and loss.attach(self) is not self:
                loss.attached = False  # its layer is not one of ours: it keeps its own

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


def stateful_losses(loss: Any) -> list[Any]:
    """The losses in ``loss`` (a loss, a list or dict of them, or a wrapper's ``loss``) that
    own a state layer to ``attach``, outermost first."""
    if isinstance(loss, dict):
        loss = list(loss.values())
    if isinstance(loss, (list, tuple)):
        return [found for item in loss for found in stateful_losses(item)]
    if not isinstance(loss, keras.losses.Loss):
        return []
    own = [loss] if callable(getattr(loss, "attach", None)) and hasattr(loss, "attached") \
        else []
    return own + stateful_losses(getattr(loss, "loss", None))

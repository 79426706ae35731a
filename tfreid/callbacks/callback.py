"""``Callback``: the base of tfreid's callbacks, a ``keras.callbacks.Callback`` (tf_keras)
that refuses a Keras 3 model when ``fit`` hands it the model (``set_model``), before the
first batch: a Keras 3 model would train, then fail to load once saved."""

from typing import Any

from tfreid.backend import check_tf_keras, keras


class RefusesKeras3Model:
    """Mixin for a Keras callback class: ``set_model`` refuses a Keras 3 model in one line."""

    def set_model(self, model: Any) -> None:
        check_tf_keras(model, f"the model given to {type(self).__name__}")
        super().set_model(model)


class Callback(RefusesKeras3Model, keras.callbacks.Callback):
    """``keras.callbacks.Callback`` that refuses a Keras 3 model (module docstring)."""

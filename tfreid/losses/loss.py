"""``Loss``: the base of every tfreid loss, a ``keras.losses.Loss`` (tf_keras) that refuses
to be called by a Keras 3 model.

A Keras 3 model compiled with a tfreid loss would train and save, then fail to load
(``Could not locate class ...``): Keras 3 does not know tf_keras objects. The first call
looks for Keras 3 code on the call stack and stops with one line
(``tfreid.backend.check_tf_keras_caller``); later calls cost nothing.
"""

from typing import Any

from tfreid.backend import check_tf_keras_caller, keras


class Loss(keras.losses.Loss):
    """``keras.losses.Loss`` whose first call refuses a Keras 3 caller (module docstring)."""

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        if not getattr(self, "_caller_checked", False):
            check_tf_keras_caller(f"the loss {type(self).__name__}")
            self._caller_checked = True
        return super().__call__(y_true, y_pred, sample_weight)

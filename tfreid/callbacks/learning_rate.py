"""The learning rate in every epoch's logs: TensorBoard's scalars, the history, the epoch
line."""

from typing import Any

from tfreid.backend import keras, serializable
from tfreid.callbacks.callback import Callback

LEARNING_RATE = "learning_rate"  # the key Keras' TensorBoard callback writes a schedule's as


def current_learning_rate(optimizer: Any) -> float:
    """The rate ``optimizer`` applies at its next step: its schedule at ``iterations`` (as
    Keras' TensorBoard callback logs it), or its fixed rate; of a loss-scale wrapper, its
    inner optimizer's."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    rate = getattr(inner, "_learning_rate", None)
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        return float(rate(inner.iterations))
    return float(keras.backend.get_value(inner.learning_rate))


@serializable
class LearningRateLogger(Callback):
    """Put ``learning_rate`` (``current_learning_rate``) into each epoch's logs.

    Keras' TensorBoard callback writes ``epoch_learning_rate`` only for a
    schedule; with this callback first in the list, every run's rate is in the
    logs, so TensorBoard, the history and ``EpochLogger`` show it, under the same
    key (TensorBoard's own value, for a schedule, is the same number).

    Example::

        from tfreid.backend import keras
        from tfreid.callbacks import LearningRateLogger

        encoder.compile("adam", loss="triplet_margin")
        history = encoder.fit(images, labels, epochs=2, verbose=0, callbacks=[
            LearningRateLogger(), keras.callbacks.TensorBoard("logs/run")])
        history.history["learning_rate"]  # the rate at the end of each epoch
    """

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if logs is not None and optimizer is not None:
            logs[LEARNING_RATE] = current_learning_rate(optimizer)

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LearningRateLogger":
        return cls(**config)

"""One readable line per epoch, in place of Keras' progress bar."""

import math
import sys
import time
from typing import Any

from tfreid.backend import serializable
from tfreid.callbacks.callback import Callback
from tfreid.metrics.measure import measures


def counts() -> tuple[str, ...]:
    """The keys of the registered measures that are counts (CF): printed as integers."""
    return tuple(m.key for m in measures() if m.is_count())


def format_value(key: str, value: float) -> str:
    """A log value as a person reads it: counts as integers, others to 4 digits."""
    if key.split("_", 1)[-1] in counts() and math.isfinite(value):
        return str(int(round(value)))
    return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"


@serializable
class EpochLogger(Callback):
    """Print ``epoch 3/25: loss 0.277, ... | val rank1 0.5, mAP 0.656, CF 8 (4.1 s)``.

    Training measures first, then the validation ones (``val_`` dropped);
    counts such as CF are integers, not ``0.0000e+00``.

    Example::

        from tfreid.callbacks import EpochLogger

        encoder.compile("adam", loss="triplet_margin")
        encoder.fit(images, labels, epochs=2, verbose=0, callbacks=[EpochLogger()])
    """

    def __init__(self, stream: Any = None):
        super().__init__()
        self.stream = stream
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        train = [f"{k} {format_value(k, float(v))}" for k, v in logs.items()
                 if not k.startswith("val_")]
        validation = [f"{k[4:]} {format_value(k, float(v))}" for k, v in logs.items()
                      if k.startswith("val_")]
        epochs = self.params.get("epochs", "?") if self.params else "?"
        line = f"epoch {epoch + 1}/{epochs}: " + ", ".join(train)
        if validation:
            line += " | val " + ", ".join(validation)
        line += f" ({time.perf_counter() - self._started:.1f} s)"
        print(line, file=self.stream or sys.stdout, flush=True)

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "EpochLogger":
        return cls(**config)

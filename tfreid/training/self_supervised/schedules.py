"""Learning-rate schedules of the self-supervised methods."""

from typing import Any

from tfreid.backend import keras, serializable, tf


@serializable
class CycleSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """InsCLR's cycles: ``rate`` in each cycle, x0.1 after two thirds of it (the code: 40k of
    60k steps), and x0.3 in the last of 4 or more cycles (the code: 3e-5 against 1e-4)."""

    def __init__(self, rate: float, steps_per_cycle: int, cycles: int):
        self.rate, self.steps_per_cycle, self.cycles = float(rate), int(steps_per_cycle), \
            int(cycles)

    def __call__(self, step: tf.Tensor) -> tf.Tensor:
        step = tf.cast(step, tf.float32)
        length = float(max(1, self.steps_per_cycle))
        cycle = tf.minimum(tf.floor(step / length), self.cycles - 1)
        within = step - cycle * length
        decayed = tf.where(within >= 2.0 * length / 3.0, 0.1, 1.0)
        last = tf.where(tf.logical_and(cycle >= self.cycles - 1, self.cycles >= 4), 0.3, 1.0)
        return self.rate * decayed * last

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate, "steps_per_cycle": self.steps_per_cycle,
                "cycles": self.cycles}

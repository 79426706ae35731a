"""Learning-rate schedules every method can use: linear warm-up, then constant, multi-step
or cosine decay (the self-supervised methods' own are in ``self_supervised.schedules``).

``WarmupSchedule(step)`` is a function of the optimizer's step alone, so a run
resumed from a checkpoint of ``optimizer.iterations`` continues the schedule at
the step where it stopped. ``RunConfig.make_optimizer`` builds it from epochs
(``warmup_epochs``, ``lr_milestones``, ``epochs``) times the steps per epoch.
"""

import math
from collections.abc import Sequence
from typing import Any

from tfreid.backend import keras, serializable, tf

DECAYS = ("constant", "multistep", "cosine")


@serializable
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from ``warmup_factor * base_lr`` to ``base_lr``, then ``decay``.

    With ``s`` the step (0 for the first update), ``W = warmup_steps`` and
    ``T = total_steps`` the rate is ``lr(s) = base_lr * w(s) * d(s)`` where

    - ``w(s) = f + (1 - f) * min(s, W) / W`` (``f = warmup_factor``; 1 when W = 0),
      so ``lr(0) = f * base_lr``, ``lr(W - 1) = base_lr * (f + (1 - f) * (W - 1) / W)``
      and ``lr(W) = base_lr``;
    - ``constant``: ``d(s) = 1``;
    - ``multistep``: ``d(s) = gamma ** k`` with ``k`` the number of ``milestones``
      (steps) at most ``s``: the rate drops at the milestone step itself;
    - ``cosine``: ``d(s) = (m + (1 - m) * (1 + cos(pi * p)) / 2)`` with
      ``m = min_lr / base_lr`` and ``p = clip((s - W) / (T - W), 0, 1)``: ``base_lr``
      at the end of warm-up, ``min_lr`` from step ``T`` on.

    Values are computed in float32 (the optimizer's dtype).

    Example (BoT's warm-up, 3.5e-5 to 3.5e-4 over 10 epochs, x0.1 at 40 and 70)::

        schedule = WarmupSchedule(3.5e-4, warmup_steps=10 * spe, warmup_factor=0.1,
                                  decay="multistep", milestones=[40 * spe, 70 * spe])
        schedule(0)  # 3.5e-5; schedule(10 * spe) = 3.5e-4; schedule(40 * spe) = 3.5e-5
    """

    def __init__(self, base_lr: float, warmup_steps: int = 0, warmup_factor: float = 0.1,
                 decay: str = "constant", milestones: Sequence[int] = (), gamma: float = 0.1,
                 min_lr: float = 0.0, total_steps: int = 1):
        if decay not in DECAYS:
            raise ValueError(f"unknown decay {decay!r}; choose from {', '.join(DECAYS)}")
        self.base_lr, self.warmup_steps = float(base_lr), int(warmup_steps)
        self.warmup_factor, self.decay = float(warmup_factor), decay
        self.milestones, self.gamma = [int(m) for m in milestones], float(gamma)
        self.min_lr, self.total_steps = float(min_lr), int(total_steps)

    def __call__(self, step: Any) -> tf.Tensor:
        with tf.name_scope("WarmupSchedule"):
            step = tf.cast(step, tf.float32)
            return tf.constant(self.base_lr, tf.float32) * self._warmup(step) * \
                self._decayed(step)

    def _warmup(self, step: tf.Tensor) -> tf.Tensor:
        if self.warmup_steps <= 0:
            return tf.constant(1.0)
        done = tf.minimum(step, float(self.warmup_steps)) / float(self.warmup_steps)
        return self.warmup_factor + (1.0 - self.warmup_factor) * done

    def _decayed(self, step: tf.Tensor) -> tf.Tensor:
        if self.decay == "multistep" and self.milestones:
            passed = tf.reduce_sum(tf.cast(
                tf.constant(self.milestones, tf.float32) <= step, tf.float32))
            return tf.pow(tf.constant(self.gamma), passed)
        if self.decay == "cosine":
            span = float(max(1, self.total_steps - self.warmup_steps))
            progress = tf.clip_by_value((step - self.warmup_steps) / span, 0.0, 1.0)
            floor = self.min_lr / self.base_lr
            return floor + (1.0 - floor) * 0.5 * (1.0 + tf.cos(math.pi * progress))
        return tf.constant(1.0)

    def get_config(self) -> dict[str, Any]:
        return {"base_lr": self.base_lr, "warmup_steps": self.warmup_steps,
                "warmup_factor": self.warmup_factor, "decay": self.decay,
                "milestones": list(self.milestones), "gamma": self.gamma,
                "min_lr": self.min_lr, "total_steps": self.total_steps}


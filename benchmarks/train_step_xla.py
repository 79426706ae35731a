"""Train-step throughput with XLA (jit_compile) on and off, side by side.

    python benchmarks/train_step_xla.py [--steps 30] [--image-size 64]

Times Keras ``fit`` steps of the Siamese contrastive model (64 pairs a step) and of
the triplet model with semi-hard mining (128 images a step) on random uint8 images,
after warm-up steps that absorb tracing and XLA compilation. Prints images/s for
each setting on whatever device TensorFlow picks (CPU here; GPU where one is seen).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import numpy as np  # noqa: E402

from tfreid.backend import gpu_available, keras  # noqa: E402
from tfreid.data.pairs import pair_dataset  # noqa: E402
from tfreid.data.triplets import pk_dataset  # noqa: E402
from tfreid.losses import ContrastivePairLoss, TripletMarginLoss  # noqa: E402
from tfreid.models import build_encoder, build_siamese  # noqa: E402


def siamese_setup(images, ids):
    model = build_siamese(build_encoder("table1", images.shape[1:3], 100))
    return model, {"distance": ContrastivePairLoss()}, pair_dataset(images, ids, 64, 0), 128


def triplet_setup(images, ids):
    model = build_encoder("table1", images.shape[1:3], 100)
    return model, TripletMarginLoss(miner="semihard"), pk_dataset(images, ids, 32, 4, 0), 128


def images_per_second(setup, images, ids, jit: bool, steps: int) -> float:
    keras.utils.set_random_seed(0)
    model, loss, data, images_per_step = setup(images, ids)
    model.compile(keras.optimizers.Adam(1e-3), loss=loss, jit_compile=jit)
    model.fit(data, steps_per_epoch=5, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * images_per_step / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--image-size", type=int, default=64)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    ids = np.repeat(np.arange(100), 6)
    images = rng.integers(0, 256, (len(ids), args.image_size, args.image_size, 3), np.uint8)
    print(f"device: {'GPU' if gpu_available() else 'CPU'}, {args.image_size} px, "
          f"{args.steps} timed steps")
    print(f"{'model':<22}{'no XLA img/s':>14}{'XLA img/s':>12}{'XLA / no XLA':>14}")
    setups = (("siamese contrastive", siamese_setup), ("triplet semihard", triplet_setup))
    for name, setup in setups:
        plain = images_per_second(setup, images, ids, False, args.steps)
        compiled = images_per_second(setup, images, ids, True, args.steps)
        print(f"{name:<22}{plain:>14.0f}{compiled:>12.0f}{compiled / plain:>14.2f}")


if __name__ == "__main__":
    main()

"""Training speed of paper 000's triplet setup: tfreid's path against the alternatives.

    python benchmarks/training_speed.py [--rounds 5] [--steps 40] [--impls tfreid,...]
                                        [--torch-python PATH]

Table I CNN (64 px, 100-d), 128 triplets (384 images) a step, triplet loss
(margin 1), Adam 1e-3, on the CPU (or whatever device TensorFlow picks). The
data: 200 generated surfaces x 6 views, 64 px JPEG in TFRecord shards of 128
(made once per invocation in a temporary folder, or ``--data``). Each
implementation runs in a fresh process, the implementations alternating round
by round; each process times ``--steps`` steps after 5 warm-up steps (tracing,
first allocations). Prints the images/s of every round, the medians and the
ratios to the PyTorch loop.

* ``tfreid``: the triplet method's own training: ``TripletMethod.plan`` (random
  triplets, the tf.data stream from the in-memory split, the triplet model) and
  ``compile``/``fit`` as the engine calls them;
* ``tfreid_streamed``: the same, reading the images from TFRecord shards
  (``--input stream``) instead of memory;
* ``keras_fixed``: the same model and loss in Keras ``fit`` on one fixed batch;
* ``tf_step``: a plain ``tf.function`` step (GradientTape + Adam) on it;
* ``torch``: the same network, loss and optimiser as a PyTorch CPU loop
  (benchmark-only: ``pip install torch`` into any Python 3 and pass it as
  ``--torch-python``; tfreid never imports it).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
IMPLEMENTATIONS = ("tfreid", "tfreid_streamed", "keras_fixed", "tf_step", "torch")
DIM = 100  # embedding dims of the Table I CNN in every implementation


def one(impl: str, folder: str, steps: int) -> float:
    """Images/s of one implementation (run in a fresh process)."""
    sys.path.insert(0, ROOT)
    if impl == "torch":
        import numpy as np

        from benchmarks.torch_triplet import torch_images_per_second

        return torch_images_per_second(np.load(os.path.join(folder, "batch.npy")), DIM, steps)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from benchmarks import speed_paths

    if impl == "prepare":
        speed_paths.prepare(folder)
        return 0.0
    if impl in ("tfreid", "tfreid_streamed"):
        return speed_paths.tfreid_fit(folder, steps, impl == "tfreid_streamed")
    import numpy as np

    batch = np.load(os.path.join(folder, "batch.npy"))
    step = speed_paths.tf_function_step if impl == "tf_step" else speed_paths.keras_fixed_fit
    return step(batch, steps)


def run_one(python: str, impl: str, folder: str, steps: int) -> float:
    done = subprocess.run([python, __file__, "--one", impl, "--data", folder, "--steps",
                           str(steps)], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        print(f"{impl}: failed: {done.stderr.strip().splitlines()[-1:]}")
        return float("nan")
    return json.loads(done.stdout.strip().splitlines()[-1])["images_per_second"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--impls", default=",".join(IMPLEMENTATIONS))
    parser.add_argument("--torch-python", default=sys.executable,
                        help="the Python that has PyTorch (default: this one)")
    parser.add_argument("--data", help="folder of the prepared data (default: made anew "
                                       "in a temporary folder)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        images_per_second = one(args.one, args.data, args.steps)
        print(json.dumps({"images_per_second": images_per_second}))
        return
    folder = args.data or tempfile.mkdtemp(prefix="tfreid-speed-")
    if not os.path.isdir(os.path.join(folder, "dataset")):
        run_one(sys.executable, "prepare", folder, 0)
    impls = args.impls.split(",")
    figures = {impl: [] for impl in impls}
    for round_number in range(args.rounds):
        for impl in impls:
            python = args.torch_python if impl == "torch" else sys.executable
            figures[impl].append(run_one(python, impl, folder, args.steps))
        print(f"round {round_number + 1}: " + ", ".join(
            f"{impl} {figures[impl][-1]:.0f}" for impl in impls), flush=True)
    medians = {impl: statistics.median(values) for impl, values in figures.items()}
    reference = medians.get("torch")
    print(f"\n{'implementation':<18}{'median img/s':>14}{'vs torch':>10}")
    for impl, value in medians.items():
        ratio = f"{value / reference:.2f}x" if reference else "-"
        print(f"{impl:<18}{value:>14.0f}{ratio:>10}")


if __name__ == "__main__":
    main()

"""Streamed against in-memory input: peak memory as the dataset grows, speed, and a dataset
larger than the memory a training process is given.

    python benchmarks/streaming_memory.py [--identities 300,1200,5400] [--image-size 128]
                                          [--steps 8] [--limit-mb 1280] [--limit-set 5400x128]
                                          [--data DIR]

1. Generates surface sets of growing numbers of identities (6 views each, JPEG at
   ``--image-size``; written once into ``--data``, default a temporary folder).
2. For each set and each of ``--input memory`` and ``--input stream``, in a fresh
   process: reads the training split, then times ``--steps`` steps of the triplet
   method's ``fit`` (64 triplets = 192 images a step, Table I CNN at the set's image
   size), the same number of batches of its input pipeline alone, and ``fit`` of
   the model alone on one fixed batch; prints the peak resident memory of the
   process and images/s of each.
3. ``--limit-mb``: runs ``scripts/train_triplet.py`` on a set (``--limit-set``: 5,400
   identities at 128 px, 1.5 GiB of decoded images, the largest of step 1) inside a
   cgroup whose memory limit is below that, once with ``--input memory`` (killed by
   the limit) and once with ``--input auto`` (which streams, trains and evaluates).
   Needs root and a writable cgroup hierarchy.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRIPLETS = 64


def prepare(folder: Path, counts: list[int], size: int) -> list[Path]:
    """A surface set for each count of identities (the first ``count`` of one rendering)."""
    from tfreid.data.surfaces import SurfaceConfig, surface_records
    from tfreid.data.writer import write_dataset

    paths = [folder / f"surfaces-{count}" for count in counts]
    if all((path / "manifest.json").is_file() for path in paths):
        return paths
    records = surface_records(SurfaceConfig(num_identities=max(counts), image_size=size,
                                            test_fraction=0.1))
    for count, path in zip(counts, paths, strict=True):
        if not (path / "manifest.json").is_file():
            subset = {split: [r for r in rs if r.identity < count] for split, rs in
                      records.items()}
            write_dataset(path, subset, f"surfaces-{count}", "generated", images_per_shard=256)
    return paths


def _images_per_second(run, steps: int) -> float:
    run(2)
    started = time.perf_counter()
    run(steps)
    return steps * 3 * TRIPLETS / (time.perf_counter() - started)


def measure(dataset: Path, mode: str, steps: int) -> dict:
    """Peak memory and speeds of one input mode on one dataset (in this process)."""
    from tfreid.backend import keras
    from tfreid.data.manifest import read_manifest
    from tfreid.data.pipeline_options import steady_stream
    from tfreid.data.reader import load_split
    from tfreid.data.record_images import stream_split
    from tfreid.models.backbones import build_encoder
    from tfreid.training.config import RunConfig
    from tfreid.training.engine import make_method

    side = read_manifest(dataset)["image_size"][0]
    split = (stream_split if mode == "stream" else load_split)(dataset, "train", (side, side))
    config = RunConfig.for_method("triplet", image_size=side, batch_size=TRIPLETS, xla=False)
    keras.utils.set_random_seed(0)
    plan = make_method(config).plan(build_encoder("table1", (side, side), 100),
                                    {"train": split, "validation": split})
    plan.model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=plan.loss, jit_compile=False)
    stream = steady_stream(plan.train(0))
    batches = iter(stream)
    fixed = next(batches)
    figures = {
        "pipeline": _images_per_second(lambda n: [next(batches) for _ in range(n)], steps),
        "model_alone": _images_per_second(lambda n: plan.model.fit(
            steady_stream(keras_repeat(fixed)), steps_per_epoch=n, verbose=0), steps),
        "training": _images_per_second(lambda n: plan.model.fit(
            stream, steps_per_epoch=n, verbose=0), steps),
    }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {**figures, "peak_mb": peak / 2**20, "train_images": len(split)}


def keras_repeat(batch):
    from tfreid.backend import tf

    return tf.data.Dataset.from_tensors(batch).repeat()


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          cwd=ROOT)
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def limited_runs(dataset: Path, limit_mb: int, folder: Path) -> None:
    """scripts/train_triplet.py on ``dataset`` in a cgroup limited to ``limit_mb``: 16
    triplets a step, one epoch of 256 triplets, then the held-out evaluation."""
    group = Path("/sys/fs/cgroup/memory/tfreid-benchmark")
    limit_file = "memory.limit_in_bytes"
    if not Path("/sys/fs/cgroup/memory").is_dir():
        group, limit_file = Path("/sys/fs/cgroup/tfreid-benchmark"), "memory.max"
    try:
        group.mkdir(exist_ok=True)
        (group / limit_file).write_text(str(limit_mb * 2**20))
    except OSError as error:
        print(f"no memory-limited run: cannot make a cgroup ({error})")
        return
    for mode in ("memory", "auto"):
        command = [sys.executable, "scripts/train_triplet.py", "--dataset", str(dataset),
                   "--input", mode, "--epochs", "1", "--num-triplets", "256",
                   "--batch-size", "16", "--image-size", str(dataset_side(dataset)),
                   "--logdir", str(folder / f"limited-{mode}"), "--no-save-export"]
        reset = group / "memory.max_usage_in_bytes"
        if reset.exists():
            reset.write_text("0")
        started = time.perf_counter()
        done = subprocess.run(["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh",
                               *command], capture_output=True, text=True, cwd=ROOT)
        lines = (done.stdout + done.stderr).strip().splitlines()
        outcome = "killed by the memory limit" if done.returncode in (-9, 137) else \
            f"exit {done.returncode}"
        peak = next((int((group / name).read_text()) for name in
                     ("memory.max_usage_in_bytes", "memory.peak") if (group / name).exists()), 0)
        print(f"--input {mode} under {limit_mb} MiB: {outcome} after "
              f"{time.perf_counter() - started:.0f} s (cgroup peak {peak / 2**20:.0f} MiB)")
        for line in [line for line in lines if "rank-1" in line or "error" in line][:2]:
            print(f"    {line}")
    group.rmdir()


def decoded_mib(dataset: Path) -> float:
    manifest = json.loads((dataset / "manifest.json").read_text())
    return manifest["num_images"] * dataset_side(dataset) ** 2 * 3 / 2**20


def dataset_side(dataset: Path) -> int:
    return json.loads((dataset / "manifest.json").read_text())["image_size"][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--identities", default="300,1200,5400")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--limit-mb", type=int, default=1280)
    parser.add_argument("--limit-set", default="5400x128",
                        help="identities x image size of the set trained under --limit-mb")
    parser.add_argument("--data", help="folder for the generated sets (default: temporary)")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    sys.path.insert(0, str(ROOT))
    if args.one:
        print(json.dumps(measure(Path(args.one[0]), args.one[1], args.steps)))
        return
    folder = Path(args.data or tempfile.mkdtemp(prefix="tfreid-streaming-"))
    datasets = prepare(folder, [int(n) for n in args.identities.split(",")], args.image_size)
    print(f"{'train images':>12} {'decoded MiB':>12} {'input':>7} {'peak MiB':>9} "
          f"{'train img/s':>12} {'pipeline':>9} {'model alone':>12} {'train/model':>12}")
    for dataset in datasets:
        for mode in ("memory", "stream"):
            figures = run_child("--one", str(dataset), mode, "--steps", str(args.steps))
            if "error" in figures:
                print(f"{dataset.name} {mode}: failed: {figures['error']}")
                continue
            decoded = figures["train_images"] * args.image_size ** 2 * 3 / 2**20
            print(f"{figures['train_images']:>12} {decoded:>12.0f} {mode:>7} "
                  f"{figures['peak_mb']:>9.0f} {figures['training']:>12.0f} "
                  f"{figures['pipeline']:>9.0f} {figures['model_alone']:>12.0f} "
                  f"{figures['training'] / figures['model_alone']:>12.2f}", flush=True)
    if args.limit_mb:
        count, side = (int(n) for n in args.limit_set.split("x"))
        limited = prepare(folder, [count], side)[0]
        decoded = decoded_mib(limited)
        print(f"\n{limited.name}: {decoded:.0f} MiB of images decoded, trained under a "
              f"{args.limit_mb} MiB memory limit")
        limited_runs(limited, args.limit_mb, folder)


if __name__ == "__main__":
    main()

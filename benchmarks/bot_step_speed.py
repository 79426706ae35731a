"""Speed of one bag-of-tricks training step: tfreid's path against Keras and PyTorch.

    python benchmarks/bot_step_speed.py [--steps 5] [--warmup 2] [--skip-torch]
                                        [--torch-python /work/torchvenv/bin/python]

BoT (``RunConfig.for_method("classification", recipe="bot", center_weight=0)``): ResNet-50
with last stride 1, average pooling, tfreid's Dense embedding head (the config's
``embedding_dim``) and BNNeck, at 256 x 128, batches of 64 = 16 identities x 4, float32,
batch-hard triplet (margin 0.3) before the neck plus label-smoothed (0.1) identity
cross-entropy after it, Adam 3.5e-4; on the CPU with XLA off (tfreid's CPU default). The
data: a generated surface set (256 px, ``--identities`` surfaces x 6 views) in a temporary
folder. Every variant gets ``--warmup`` untimed steps, then ``--steps`` rounds each time
one step of every variant (the order rotating round by round, so machine noise hits all
alike); the table gives the median (min-max) seconds a step.

* ``tfreid``: ``ClassificationMethod.plan``'s model compiled as the engine compiles it
  (``fit_encoder``), its Keras train function (what ``fit`` runs a step) on one fixed
  batch held in memory: the model alone;
* ``tfreid_pipeline``: the same train function fed by the run's P x K stream
  (``training_input(plan.train, 0)``: augmented with flip, pad_crop and erase, prefetched),
  as ``fit`` is in a run;
* ``keras_bare``: ``keras.applications.ResNet50`` (pooling avg, last stride 2 as it comes)
  + Dense(classes), sparse cross-entropy, Adam, on the fixed batch (no tfreid code);
* ``keras_bare_s1``: the same with last stride 1 (``conv5_block1``'s strides set to 1 in
  a ``clone_model``), the architecture tfreid trains;
* ``torch``: torchvision's ResNet-50 with last stride 1, the same head, neck and losses,
  Adam, ``torch.set_num_threads(cores)``, in a worker process of ``--torch-python``
  (``bot_step_speed_torch.py``; PyTorch only here, never a tfreid dependency), NCHW
  (PyTorch's default);
* ``torch_channels_last``: the same model and batch in channels-last memory format (a
  faster PyTorch CPU path; a second model in the worker).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
TORCH_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "bot_step_speed_torch.py")
BATCH = 64


def tfreid_setup(folder: str, identities: int):
    """(config, compiled plan, number of classes) of a BoT run on a generated set."""
    import numpy as np

    from tfreid.data.default import make_surfaces
    from tfreid.data.surfaces import SurfaceConfig
    from tfreid.losses.metric_loss import set_cross_replica
    from tfreid.models.backbones import build_encoder
    from tfreid.training.config import RunConfig
    from tfreid.training.engine import make_method
    from tfreid.training.run_data import load_reid_data

    dataset = os.path.join(folder, "surfaces")
    make_surfaces(dataset, SurfaceConfig(num_identities=identities, views_per_identity=6,
                                         image_size=256, test_fraction=0.3))
    config = RunConfig.for_method("classification", recipe="bot", center_weight=0,
                                  dataset=dataset, batch_size=BATCH, input="memory")
    method = make_method(config)
    data = load_reid_data(config, method.lonely, method.self_supervised,
                          method.holds_out_validation())
    encoder = build_encoder(config.backbone, config.image_shape(), config.embedding_dim,
                            **config.encoder_options())
    plan = method.plan(encoder, data)
    set_cross_replica(plan.loss, config.cross_replica)
    optimizer = plan.optimizer or config.make_optimizer(plan.steps_per_epoch)
    plan.model.compile(optimizer=optimizer, loss=plan.loss, metrics=plan.metrics,
                       jit_compile=config.jit_compile())
    classes = len(np.unique(np.concatenate([data["train"].identities,
                                            data["validation"].identities])))
    return config, plan, classes


def bare_keras(num_classes: int, last_stride: int, jit: bool):
    """keras.applications.ResNet50 + Dense(classes), compiled with sparse CE and Adam."""
    from tfreid.backend import keras

    base = keras.applications.ResNet50(include_top=False, pooling="avg", weights=None,
                                       input_shape=(256, 128, 3))
    if last_stride == 1:
        def clone(layer):
            config = layer.get_config()
            if layer.name in ("conv5_block1_1_conv", "conv5_block1_0_conv"):
                config["strides"] = (1, 1)
            return layer.__class__.from_config(config)

        base = keras.models.clone_model(base, clone_function=clone)
    model = keras.Sequential([base, keras.layers.Dense(num_classes)])
    model.compile(optimizer=keras.optimizers.Adam(3.5e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=jit)
    return model


def keras_step(model, dataset):
    """One timed call of ``model``'s train function (a ``fit`` step) on ``dataset``."""
    function, iterator = model.make_train_function(), iter(dataset)

    def step() -> float:
        started = time.perf_counter()
        logs = function(iterator)
        [float(value) for value in logs.values()]
        return time.perf_counter() - started

    return step


class TorchWorker:
    """``bot_step_speed_torch.py`` in a process of its own, a step per request."""

    def __init__(self, python: str, batch_path: str, dim: int, classes: int, threads: int):
        self.process = subprocess.Popen(
            [python, TORCH_WORKER, batch_path, str(dim), str(classes), str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.idle_cpu = []
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the PyTorch worker did not start")

    def stepper(self, command: str):
        """A timed step of the worker's NCHW ("step") or channels-last model; the CPU
        seconds this (TensorFlow) process spent meanwhile add up in ``self.idle_cpu``."""
        def step() -> float:
            cpu = time.process_time()
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            seconds = float(self.process.stdout.readline())
            self.idle_cpu.append(time.process_time() - cpu)
            return seconds

        return step

    def close(self) -> None:
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="timed rounds (a step each)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per variant")
    parser.add_argument("--identities", type=int, default=100, help="generated surfaces")
    parser.add_argument("--torch-python", default="/work/torchvenv/bin/python",
                        help="the Python that has PyTorch and torchvision")
    parser.add_argument("--skip-torch", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import numpy as np

    from tfreid.backend import keras, tf
    from tfreid.training.worker_input import training_input

    with tempfile.TemporaryDirectory(prefix="tfreid-bot-speed-") as folder:
        keras.utils.set_random_seed(0)
        config, plan, num_classes = tfreid_setup(folder, args.identities)
        images, labels = next(iter(plan.train(0)))
        images, labels = images.numpy(), labels.numpy()
        print(f"batch {images.shape} {images.dtype}, labels {labels.shape}, "
              f"classes {num_classes}, embedding_dim {config.embedding_dim}, "
              f"XLA {config.jit_compile()}, TF threads "
              f"{tf.config.threading.get_intra_op_parallelism_threads()}", flush=True)
        fixed = tf.data.Dataset.from_tensors((images, labels)).repeat()
        floats = tf.data.Dataset.from_tensors((images.astype(np.float32), labels)).repeat()
        variants = {"tfreid": keras_step(plan.model, fixed),
                    "tfreid_pipeline": keras_step(plan.model,
                                                  training_input(plan.train, 0))}
        for name, stride in (("keras_bare", 2), ("keras_bare_s1", 1)):
            variants[name] = keras_step(bare_keras(num_classes, stride, False), floats)
        worker = None
        if not args.skip_torch:
            path = os.path.join(folder, "batch.npz")
            np.savez(path, images=images, labels=labels)
            worker = TorchWorker(args.torch_python, path, config.embedding_dim, num_classes,
                                 os.cpu_count())
            variants["torch"] = worker.stepper("step")
            variants["torch_channels_last"] = worker.stepper("step_channels_last")
        try:
            times = run_rounds(variants, args.warmup, args.steps)
        finally:
            if worker is not None:
                worker.close()
                print(f"CPU seconds of this process during the PyTorch steps: max "
                      f"{max(worker.idle_cpu):.2f} (of {len(worker.idle_cpu)} steps)")
    report(times)


def run_rounds(variants: dict, warmup: int, steps: int) -> dict[str, list[float]]:
    names = list(variants)
    for name in names:
        first = [variants[name]() for _ in range(warmup)]
        print(f"warm-up {name}: " + ", ".join(f"{value:.2f}" for value in first) + " s",
              flush=True)
    times = {name: [] for name in names}
    for round_number in range(steps):
        order = names[round_number % len(names):] + names[:round_number % len(names)]
        for name in order:
            times[name].append(variants[name]())
        print(f"round {round_number + 1}: " + ", ".join(
            f"{name} {times[name][-1]:.2f}" for name in names), flush=True)
    return times


def report(times: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n{'variant':<18}{'s/step median':>14}{'min-max':>16}{'images/s':>10}")
    for name, values in times.items():
        spread = f"{min(values):.2f}-{max(values):.2f}"
        print(f"{name:<18}{medians[name]:>14.2f}{spread:>16}{BATCH / medians[name]:>10.1f}")
    ratios = [("tfreid vs torch (torch s / tfreid s, target >= 1.0)", "torch", "tfreid"),
              ("tfreid_pipeline vs torch", "torch", "tfreid_pipeline"),
              ("pipeline slowdown (pipeline s / model s, target <= 1.05)", "tfreid_pipeline",
               "tfreid"),
              ("tfreid vs keras_bare (keras s / tfreid s)", "keras_bare", "tfreid"),
              ("tfreid vs keras_bare_s1 (keras s / tfreid s)", "keras_bare_s1", "tfreid"),
              ("keras_bare_s1 vs torch (torch s / keras s)", "torch", "keras_bare_s1"),
              ("tfreid vs torch_channels_last", "torch_channels_last", "tfreid")]
    print()
    for label, numerator, denominator in ratios:
        if numerator in medians and denominator in medians:
            print(f"{label:<60}{medians[numerator] / medians[denominator]:>8.3f}")


if __name__ == "__main__":
    main()

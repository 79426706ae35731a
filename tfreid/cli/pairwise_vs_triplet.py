"""``pairwise_vs_triplet``: paper 002's 12-scenario augmentation study, resumably."""

import argparse
from collections.abc import Sequence
from pathlib import Path

from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.data.names import AUGMENTATIONS
from tfreid.experiments.augmentation_study import StudySettings
from tfreid.experiments.studies import STUDY_AUGMENTATIONS, TRAININGS
from tfreid.io.home import logs_root, tfrecords_root, under_home
from tfreid.option_types import positive_float, positive_int, seed


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="tfreid pairwise-vs-triplet",
        description="Pairwise (cosine embedding) vs triplet (triplet margin) training of "
                    "paper 002's network under none / FER / SimCLR augmentation.")
    add = parser.add_argument
    add("--datasets", nargs="+", default=["fashion-mnist", "digits"],
        help="class datasets by name (written to --data-root if missing) or tfreid dataset "
             "folders with train and test splits")
    add("--augments", nargs="+", choices=AUGMENTATIONS, default=list(STUDY_AUGMENTATIONS),
        help="the augmentations compared (paper 002: none, FER, SimCLR)")
    add("--trainings", nargs="+", choices=TRAININGS, default=list(TRAININGS),
        help="pairwise: cosine embedding loss; triplet: triplet margin loss")
    add("--quick", action="store_true", help="8,000 training images, 2 / 4 epochs")
    add("--batch-size", type=positive_int,
        help="anchors per batch (the batch holds 2x as many images; default: "
             f"{StudySettings.batch_size})")
    add("--lr", type=positive_float,
        help=f"Adam learning rate (default: {StudySettings.learning_rate:g})")
    add("--max-train-images", type=positive_int,
        help="use at most N training images (default: all, 8,000 with --quick)")
    add("--augment-anchor", action="store_true", help="augment the anchor too (SimCLR style)")
    add("--seed", type=seed, default=0, help="seed of every scenario")
    add("--data-root", default=str(tfrecords_root()),
        help="where the named class datasets are written on first use")
    add("--out", help="results folder (default: "
                      f"{under_home('logs', 'experiments', 'pairwise-vs-triplet')}[-quick])")
    return parser


def dataset_dirs(names: Sequence[str], data_root: str) -> dict[str, Path]:
    """Name -> TFRecord folder; named class datasets are written on first use."""
    from tfreid.data.class_datasets import CLASS_DATASETS, ensure_class_dataset

    dirs = {}
    for name in names:
        if name in CLASS_DATASETS:
            dirs[name] = ensure_class_dataset(name, Path(data_root) / name)
        else:
            dirs[Path(name).name] = Path(name)
    return dirs


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.data.dataset import Dataset
        from tfreid.experiments.augmentation_report import write_study_report
        from tfreid.experiments.augmentation_study import run_study, study_config

        config = study_config(args.quick, args.seed, batch_size=args.batch_size,
                              learning_rate=args.lr, max_train_images=args.max_train_images,
                              augment_anchor=args.augment_anchor or None)
        dirs = dataset_dirs(args.datasets, args.data_root)
        out = Path(args.out or logs_root() / "experiments" /
                   ("pairwise-vs-triplet" + "-quick" * args.quick))
        rows = run_study(dirs, config, out / "results.jsonl", tuple(args.augments),
                         tuple(args.trainings))
        names = {name: Dataset(d).identity_names for name, d in dirs.items()}
        paths = write_study_report(rows, out, names)
        print(paths["table"].read_text())
        print("written:", ", ".join(str(p) for p in paths.values()))
        return 0

    return run_cli(command)

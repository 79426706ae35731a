"""``make_tfrecords``: write a dataset as tfreid TFRecord shards with a manifest."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser, fraction, int_in, positive_int, seed
from tfreid.data.sources import FASHION_MNIST_DIR, KERAS_DATASETS
from tfreid.data.surfaces import SurfaceConfig


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="make_tfrecords",
                            description="Write images as tfreid TFRecord shards.")
    sub = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
    surfaces = sub.add_parser("surfaces", help="generate the embedded surface dataset")
    surfaces.add_argument("--out", default="tfrecords/surfaces")
    surfaces.add_argument("--num-identities", type=int_in(4, 1_000_000),
                          default=SurfaceConfig.num_identities)
    surfaces.add_argument("--views", type=int_in(2, 1000),
                          default=SurfaceConfig.views_per_identity)
    surfaces.add_argument("--seed", type=seed, default=0)
    folder = sub.add_parser("folder", help="root/<identity>/*.jpg|png")
    folder.add_argument("root")
    folder.add_argument("--out", required=True)
    folder.add_argument("--test-fraction", type=fraction, default=0.3)
    folder.add_argument("--seed", type=seed, default=0)
    market = sub.add_parser("market1501", help="a Market-1501 folder")
    market.add_argument("root")
    market.add_argument("--out", default="tfrecords/market1501")
    cf = sub.add_parser("cf-npz", help="a psorus/cf .npz file (x, i, tx, ti, gx, gi)")
    cf.add_argument("path")
    cf.add_argument("--out", required=True)
    idx = sub.add_parser("idx", help="a folder of MNIST-layout IDX files (train-*, t10k-*)")
    idx.add_argument("root")
    idx.add_argument("--out", required=True)
    fashion = sub.add_parser("fashion-mnist", help="Fashion-MNIST from Debian's "
                             "dataset-fashion-mnist package")
    fashion.add_argument("--root", default=FASHION_MNIST_DIR)
    fashion.add_argument("--out", default="tfrecords/fashion-mnist")
    digits = sub.add_parser("digits", help="scikit-learn's 8x8 handwritten digits")
    digits.add_argument("--out", default="tfrecords/digits")
    digits.add_argument("--test-fraction", type=fraction, default=0.3)
    digits.add_argument("--seed", type=seed, default=0)
    keras_sets = []
    for name in KERAS_DATASETS:
        keras_sets.append(sub.add_parser(name, help=f"{name} via keras.datasets (downloads)"))
        keras_sets[-1].add_argument("--out", default=f"tfrecords/{name}")
    for child in (surfaces, folder, market, cf, idx, fashion, digits, *keras_sets):
        child.add_argument("--images-per-shard", type=positive_int, default=512)
        child.add_argument("--overwrite", action="store_true",
                           help="replace --out if it is a dataset tfreid wrote")
    return parser


def _progress_bar(total: int | None):
    from tfreid.backend import keras

    bar = keras.utils.Progbar(total, unit_name="image")
    count = [0]

    def advance(n: int) -> None:
        count[0] += n
        bar.update(count[0])

    return advance


def _collect(args: argparse.Namespace):
    from tfreid.data import importers
    from tfreid.data.imported import ImportedDataset

    if args.source == "surfaces":
        from tfreid.data.default import surfaces_source
        from tfreid.data.surfaces import surface_records

        config = SurfaceConfig(num_identities=args.num_identities,
                               views_per_identity=args.views, seed=args.seed)
        return ImportedDataset(surface_records(config), surfaces_source(config))
    if args.source == "folder":
        total = importers.count_images(args.root)
        return importers.image_folder_records(args.root, args.test_fraction, args.seed,
                                              progress=_progress_bar(total))
    if args.source == "market1501":
        total = importers.count_images(args.root, tuple(importers.MARKET_SPLITS.values()))
        return importers.market1501_records(args.root, progress=_progress_bar(total))
    if args.source == "cf-npz":
        from tfreid.data.cf_npz import cf_npz_records

        return cf_npz_records(args.path)
    from tfreid.data import class_datasets

    if args.source == "idx":
        return ImportedDataset(class_datasets.idx_records(args.root), f"idx {args.root}")
    options = {k: getattr(args, k) for k in ("root", "test_fraction", "seed") if hasattr(args, k)}
    return class_datasets.class_dataset_records(args.source, **options)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.data.writer import write_dataset
        from tfreid.io.outputs import check_new_output

        check_new_output(args.out, args.overwrite)
        imported = _collect(args).check()
        for line in imported.notes.lines():
            print(f"note: {line}", file=sys.stderr)
        manifest = write_dataset(args.out, imported.splits, name=Path(args.out).name,
                                 source=imported.source, images_per_shard=args.images_per_shard,
                                 identity_names=imported.identity_names,
                                 overwrite=args.overwrite)
        counts = ", ".join(f"{s} {i['num_images']} images / {i['num_identities']} ids"
                           for s, i in manifest["splits"].items())
        print(f"wrote {args.out}: {counts}")
        return 0

    return run_cli(command)

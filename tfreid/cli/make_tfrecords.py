"""``make_tfrecords``: write a dataset as tfreid TFRecord shards with a manifest, from any
importer of ``tfreid.catalog.IMPORTERS``."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tfreid.catalog import IMPORTERS
from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import tfreid_home
from tfreid.option_types import positive_int


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="tfreid make-tfrecords",
                            description="Write images as tfreid TFRecord shards.")
    sub = parser.add_subparsers(dest="source", required=True, metavar="SOURCE",
                                help="where the images come from; SOURCE --help lists its "
                                     "options")
    for name in IMPORTERS:
        importer = IMPORTERS.get(name)(name)
        child = sub.add_parser(name, help=importer.help, description=importer.help)
        importer.add_arguments(child)
        default_out = importer.default_out and str(tfreid_home() / importer.default_out)
        child.add_argument("--out", default=default_out, required=default_out is None,
                           help="dataset folder")
        child.add_argument("--images-per-shard", type=positive_int, default=512,
                           help="images per TFRecord file")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.data.writer import write_dataset
        from tfreid.io.outputs import check_new_output

        check_new_output(args.out, args.overwrite)
        importer = IMPORTERS.get(args.source)(args.source)
        total = importer.total(args)
        imported = importer.collect(args, _progress_bar(total) if total else None).check()
        for line in imported.notes.lines():
            print(f"note: {line}", file=sys.stderr)
        manifest = write_dataset(args.out, imported.splits, name=Path(args.out).name,
                                 source=imported.source, images_per_shard=args.images_per_shard,
                                 identity_names=imported.identity_names,
                                 overwrite=args.overwrite, extra=imported.extra)
        counts = ", ".join(f"{s} {i['num_images']} images / {i['num_identities']} ids"
                           for s, i in manifest["splits"].items())
        print(f"wrote {args.out}: {counts}")
        return 0

    return run_cli(command)

"""``embed``: images (files, folders or a TFRecord split) through an export -> an ``.npz``
of embeddings, identities and file names, or straight into a saved index."""

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import under_home
from tfreid.option_types import fraction, positive_int

if TYPE_CHECKING:  # the data layer is imported when a command runs, not at parsing
    from tfreid.data.dataset import Dataset


INDEX_PARAMETER_HELP = {
    "nlist": "ivfpq: coarse clusters the gallery is split into",
    "nprobe": "ivfpq: clusters searched per query (more: slower, closer to exact)",
    "pq_m": "ivfpq: sub-vectors each embedding is coded in (must divide its dimension)",
    "pq_bits": "ivfpq: bits of each sub-vector's code",
    "hnsw_m": "hnsw: neighbours per node of the graph",
    "ef_search": "hnsw: candidates kept while searching (more: slower, closer to exact)",
}


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a tfreid SavedModel export folder or a .tflite file")


def add_flip_argument(parser: argparse.ArgumentParser) -> None:
    """``--flip``: test-time flip (``tfreid.inference.embedder``); an export made with
    ``tfreid export --flip`` flips itself and refuses it."""
    parser.add_argument("--flip", action="store_true",
                        help="embed each image and its mirror and average (test-time flip)")


def add_image_arguments(parser: argparse.ArgumentParser, split: str) -> None:
    group = parser.add_argument_group("images (files and folders, or a TFRecord split)")
    which = group.add_mutually_exclusive_group()
    which.add_argument("--images", nargs="+", metavar="PATH",
                       help="image files or folders (a folder of identity subfolders names each "
                            "image's identity; Market-1501 names give identity and camera)")
    which.add_argument("--dataset", help="a tfreid TFRecord dataset instead of --images "
                                         f"(default: {under_home('tfrecords', 'surfaces')}"
                                         " if it is there; "
                                         "tfreid make-tfrecords surfaces makes it)")
    group.add_argument("--split", default=split, help="the --dataset split")
    group.add_argument("--limit", type=positive_int, help="only the first N images of --split")
    group.add_argument("--batch-size", type=positive_int,
                       help="images embedded at a time (default: 256 of up to 90x90 px, "
                            "fewer of larger ones)")


def dataset_of(args: argparse.Namespace) -> "Dataset | None":
    """The ``Dataset`` of ``--dataset`` (None: the embedded default), opened once; None with
    ``--images``."""
    return None if args.images else existing_dataset(args.dataset, " (or --images PATH)")


def existing_dataset(name: str | None, alternative: str = "") -> "Dataset":
    """The dataset ``name``, or without one the default dataset if it is at its place
    already: commands that only read data never generate it (training commands do)."""
    from tfreid.data import Dataset
    from tfreid.data.default import existing_default_manifest
    from tfreid.errors import DataError

    if name:
        return Dataset.open(name)
    path, manifest = existing_default_manifest()
    if manifest is not None:
        return Dataset(path)
    make = "tfreid make-tfrecords surfaces"
    state = (f"{path} (the default dataset) was made by an older tfreid: make it again "
             f"with '{make} --overwrite'" if path.exists() else
             f"the default dataset {path} does not exist: generate it with '{make}'")
    raise DataError(f"no --dataset given and {state}, or give --dataset DIR{alternative}")


def image_source(args: argparse.Namespace, dataset: "Dataset | None",
                 image_size: tuple[int, int]):
    """The ImageSource the image arguments name: ``--images``, or ``--split`` of ``dataset``
    (``dataset_of(args)``)."""
    from tfreid.inference.embedder import batch_size_for
    from tfreid.workflows.image_sources import dataset_source, files_source

    if args.images:
        return files_source(args.images, image_size, args.batch_size or batch_size_for(
            image_size), args.limit)
    return dataset_source(dataset, args.split, image_size, args.limit)


def build_parser() -> argparse.ArgumentParser:
    from tfreid.catalog import INDEX_KINDS
    from tfreid.retrieval.names import DEFAULT_PARAMETERS, METRICS, TARGETS

    parser = ArgumentParser(prog="tfreid embed", description="Embed images with an export into "
                            "an .npz (embeddings, identities, cameras, files) or an index.")
    add_model_argument(parser)
    add_flip_argument(parser)
    add_image_arguments(parser, "gallery")
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", help="write an .npz file")
    out.add_argument("--index", help="write a searchable index folder (tfreid search)")
    index = parser.add_argument_group("index (with --index)")
    index.add_argument("--kind", choices=INDEX_KINDS.names(), default="flat",
                       help="flat: exact; ivfpq, hnsw: approximate; int8: exact on int8 codes")
    index.add_argument("--metric", choices=METRICS, default="euclidean",
                       help="how index entries are compared with a query")
    for name, default in DEFAULT_PARAMETERS.items():
        index.add_argument(f"--{name.replace('_', '-')}", dest=name, type=positive_int,
                           default=default, help=INDEX_PARAMETER_HELP[name])
    verify = parser.add_argument_group("verification threshold (with --index and --dataset)")
    verify.add_argument("--calibrate-split", metavar="SPLIT",
                        help="held-out images of --dataset (e.g. query) paired with their "
                             "nearest index entries pick the same/different threshold; its "
                             "ROC and precision-recall curves go to <index>/verification.png")
    verify.add_argument("--target", choices=TARGETS, default="far",
                        help="the threshold keeps precision >= --value, or the false-accept "
                             "rate <= --value")
    verify.add_argument("--value", type=fraction, default=0.01,
                        help="the precision or false-accept rate --target asks for")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace --out, or --index if tfreid wrote it")
    return parser


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse an output that may not be written, or settings that cannot work, before
    anything is embedded."""
    from tfreid.errors import ConfigError, OutputError
    from tfreid.io.outputs import check_new_output

    if args.out and Path(args.out).exists() and not args.overwrite:
        raise OutputError(f"{args.out} already exists; use --overwrite to replace it")
    if args.index:
        check_new_output(args.index, args.overwrite)
    if args.calibrate_split and (args.images or args.out):
        raise ConfigError("--calibrate-split needs --index and images from --dataset")


def calibrate_on(index, embedder, dataset: "Dataset", args: argparse.Namespace):
    """The index's threshold from the held-out split ``--calibrate-split`` of ``dataset``."""
    from tfreid.workflows.image_sources import dataset_source, embed_source

    held_out = dataset_source(dataset, args.calibrate_split, embedder.image_size)
    return index.calibrate(embed_source(embedder, held_out, args.batch_size),
                           held_out.identities, args.target, args.value)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.inference.embedder import embedder_for
        from tfreid.retrieval import EmbeddingIndex
        from tfreid.retrieval.names import DEFAULT_PARAMETERS
        from tfreid.workflows.image_sources import embed_source, write_embeddings
        from tfreid.workflows.indexing import build_index

        check_outputs(args)
        embedder = embedder_for(args.model, flip=args.flip)
        dataset = dataset_of(args)
        source = image_source(args, dataset, embedder.image_size)
        if args.out:
            embeddings = embed_source(embedder, source, args.batch_size)
            write_embeddings(args.out, embeddings, source, embedder.name, args.overwrite)
            print(f"written: {args.out} ({len(source)} embeddings of {embedder.dim} dims)")
            return 0
        parameters = {name: getattr(args, name) for name in DEFAULT_PARAMETERS}
        planned = EmbeddingIndex(embedder.dim, args.metric, args.kind, **parameters)
        planned.check_training_size(len(source))  # before embedding, not after
        index = build_index(embedder, source, args.metric, args.kind, args.batch_size,
                            **parameters)
        chosen = calibrate_on(index, embedder, dataset, args) if args.calibrate_split else None
        index.save(args.index, overwrite=args.overwrite)
        print(f"written: {args.index} ({len(index)} entries, {args.kind}, {args.metric})")
        if chosen is not None:
            from tfreid.plots.verification import plot_verification

            figure = plot_verification(chosen.curve, Path(args.index) / "verification.png",
                                       chosen.summary())
            print(f"threshold {chosen.threshold:.4f} ({args.target} {args.value:g}): precision "
                  f"{chosen.precision:.4f}, recall {chosen.recall:.4f}, FAR {chosen.far:.4f} "
                  f"on {chosen.pairs} pairs; curves: {figure}")
        return 0

    return run_cli(command)

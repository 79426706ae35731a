"""``search``: query images against a saved index -> a table of the top k with distances and,
with ``--image``, a ranked-results picture (the query, then its nearest, true matches green,
false ones red)."""

import argparse
from collections.abc import Sequence
from pathlib import Path

from tfreid.cli.embed import add_image_arguments, dataset_of, image_source
from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.option_types import positive_int


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="tfreid search", description="Search a tfreid index (tfreid "
                            "embed --index) for query images: a table (and with --image a "
                            "ranked picture).")
    parser.add_argument("index", help="an index folder written by tfreid embed --index")
    parser.add_argument("--model", help="export or .tflite that embeds the queries (default: "
                                        "the model the index was built with)")
    add_image_arguments(parser, "query")
    parser.add_argument("-k", "--top", dest="k", type=positive_int, default=10,
                        help="results per query")
    parser.add_argument("--rerank", action="store_true",
                        help="rank by k-reciprocal re-ranked distance (k1 20, k2 6, lambda "
                        "0.3) over the queries and every index entry: O((q + g)^2 dim) time")
    parser.add_argument("--image", metavar="PATH",
                        help="also draw the ranked results into this PNG (default: none)")
    parser.add_argument("--rows", type=positive_int, default=8,
                        help="queries drawn in --image and printed in the table")
    parser.add_argument("--overwrite", action="store_true", help="replace --image")
    return parser


def _model_of(args: argparse.Namespace, source: str | None) -> str:
    if args.model:
        return args.model
    kind, _, path = (source or "").partition(":")
    if kind in ("saved_model", "tflite") and Path(path).exists():
        return path
    from tfreid.errors import ConfigError

    raise ConfigError(f"the index was built with {source or 'an unknown model'}, which is not a "
                      "file here: name the model with --model")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.errors import DataError, OutputError
        from tfreid.inference.embedder import embedder_for
        from tfreid.io.atomic import atomic_file
        from tfreid.io.outputs import check_parent_folder
        from tfreid.retrieval import EmbeddingIndex
        from tfreid.workflows.image_sources import embed_source
        from tfreid.workflows.indexing import ranked_image, search_table

        index = EmbeddingIndex.load(args.index)  # the input first, then the output
        image = Path(args.image) if args.image else None
        if image is not None and image.exists() and not args.overwrite:
            raise OutputError(f"{image} already exists; use --overwrite to replace it")
        if image is not None:
            check_parent_folder(image)  # before the search, not after it
        embedder = embedder_for(_model_of(args, index.source))
        if embedder.dim != index.dim:
            raise DataError(f"the model gives {embedder.dim}-d embeddings, the index holds "
                            f"{index.dim}-d ones")
        queries = image_source(args, dataset_of(args), embedder.image_size)
        result = index.search(embed_source(embedder, queries, args.batch_size), args.k,
                              rerank=args.rerank)
        result.identities = result.identities.astype(str)
        rows = list(range(min(args.rows, len(queries))))
        print(search_table(result, queries, rows))
        if image is not None:
            from PIL import Image

            pixels = ranked_image(result, queries, rows, embedder.image_size)
            with atomic_file(image) as temporary:
                Image.fromarray(pixels).save(temporary, format="PNG")
            print(f"written: {image}")
        return 0

    return run_cli(command)

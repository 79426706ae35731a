"""``evaluate``: an export on a dataset's query and gallery -> the measures of the
``command`` place of ``tfreid.catalog.MEASURES`` (rank-k, mAP, mINP, precision@1,
R-precision, MAP@R, MRR, Recall@k, NMI, AMI, mAC, CF)."""

import argparse
from collections.abc import Sequence

from tfreid.cli.embed import add_flip_argument, add_model_argument
from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import under_home
from tfreid.option_types import positive_int


def build_parser() -> argparse.ArgumentParser:
    from tfreid.retrieval.names import METRICS

    parser = ArgumentParser(prog="tfreid evaluate", description="Score an export on a tfreid "
                            "dataset's query and gallery splits (Market-1501 camera rule).")
    add_model_argument(parser)
    add_flip_argument(parser)
    parser.add_argument("--dataset", help="tfreid TFRecord dataset (default: "
                                          f"{under_home('tfrecords', 'surfaces')} if it is "
                                          "there; tfreid make-tfrecords "
                                          "surfaces makes it)")
    parser.add_argument("--query-split", default="query", help="the dataset's split of queries")
    parser.add_argument("--gallery-split", default="gallery",
                        help="the dataset's split searched for each query")
    parser.add_argument("--metric", choices=METRICS, default="euclidean",
                        help="how embeddings are compared")
    parser.add_argument("--batch-size", type=positive_int,
                        help="images embedded at a time (default: 256 of up to 90x90 px, "
                             "fewer of larger ones)")
    parser.add_argument("--out", help="write the report as JSON")
    parser.add_argument("--overwrite", action="store_true", help="replace --out")
    return parser


def format_report(report: dict) -> str:
    """The measures as a two-column table."""
    from tfreid.metrics.measure import COMMAND, keys

    flip = " (test-time flip)" if report.get("flip") else ""
    lines = [f"{report['model']}{flip} on {report['dataset']}: {report['queries']} queries "
             f"({report['num_invalid_queries']} without a valid match), {report['gallery']} "
             "gallery images"]
    lines += [f"  {name:<15} {report[name]:.4f}" if isinstance(report[name], float)
              else f"  {name:<15} {report[name]}" for name in keys(COMMAND) if name in report]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from pathlib import Path

        from tfreid.cli.embed import existing_dataset
        from tfreid.errors import OutputError
        from tfreid.inference.embedder import embedder_for
        from tfreid.io.atomic import write_json
        from tfreid.io.outputs import check_parent_folder
        from tfreid.workflows.indexing import evaluate_model

        if args.out and Path(args.out).exists() and not args.overwrite:
            raise OutputError(f"{args.out} already exists; use --overwrite to replace it")
        if args.out:
            check_parent_folder(args.out)
        # a damaged model (or --flip on a flip export) fails before any other work
        embedder = embedder_for(args.model, flip=args.flip)
        dataset = existing_dataset(args.dataset)  # never generates the default
        report = evaluate_model(embedder, dataset, args.query_split, args.gallery_split,
                                args.metric, args.batch_size)
        if embedder.flips:
            report["flip"] = True
        print(format_report(report))
        if args.out:
            write_json(args.out, report)
            print(f"written: {args.out}")
        return 0

    return run_cli(command)

"""``evaluate``: an export on a dataset's query and gallery -> the measures of the
``command`` place of ``tfreid.catalog.MEASURES`` (rank-k, mAP, mINP, precision@1,
R-precision, MAP@R, MRR, Recall@k, NMI, AMI, mAC, CF)."""

import argparse
import math
from collections.abc import Sequence

from tfreid.cli.embed import add_flip_argument, add_model_argument
from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import under_home
from tfreid.option_types import float_in, positive_int


def build_parser() -> argparse.ArgumentParser:
    from tfreid.retrieval.names import METRICS

    parser = ArgumentParser(prog="tfreid evaluate", description="Score an export on a tfreid "
                            "dataset's query and gallery splits (Market-1501 camera rule).")
    add_model_argument(parser)
    add_flip_argument(parser)
    parser.add_argument("--dataset", action="append",
                        help="tfreid TFRecord dataset, scored under the protocol its importer "
                        "recorded; repeat for one row per dataset (cross-domain: a model "
                        "trained on one, scored on others) (default: "
                        f"{under_home('tfrecords', 'surfaces')} if it is there; tfreid "
                        "make-tfrecords surfaces makes it)")
    parser.add_argument("--query-split", default="query", help="the dataset's split of queries")
    parser.add_argument("--gallery-split", default="gallery",
                        help="the dataset's split searched for each query")
    parser.add_argument("--metric", choices=METRICS, default="euclidean",
                        help="how embeddings are compared")
    parser.add_argument("--batch-size", type=positive_int,
                        help="images embedded at a time (default: 256 of up to 90x90 px, "
                             "fewer of larger ones)")
    add_ranking_arguments(parser)
    parser.add_argument("--out", help="write the report as JSON (a list with several "
                                      "--dataset)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out")
    return parser


def add_ranking_arguments(parser: argparse.ArgumentParser) -> None:
    """--rerank (k-reciprocal: --k1, --k2, --lambda-value), --qe and --dba."""
    group = parser.add_argument_group("test-time ranking (scored beside the plain ranking)")
    add = group.add_argument
    add("--rerank", action="store_true", help="k-reciprocal re-ranking (Zhong et al. 2017), "
        "memory bounded")
    add("--k1", type=positive_int, default=20, help="--rerank: k-reciprocal neighbours")
    add("--k2", type=positive_int, default=6, help="--rerank: local query expansion size")
    add("--lambda-value", type=float_in(0.0, 1.0), default=0.3,
        help="--rerank: weight of the original distance")
    add("--qe", type=positive_int, metavar="K", help="alpha query expansion over the K "
        "nearest gallery features")
    add("--qe-alpha", type=float_in(0.0, math.inf), default=3.0, help="--qe / --dba: the weights' "
        "power of the similarity (0: average)")
    add("--dba", type=positive_int, metavar="K", help="database-side augmentation over the K "
        "nearest other gallery features")


def ranking_options(args: argparse.Namespace):
    """The ``RankingOptions`` of parsed ``args``."""
    from tfreid.evaluation.test_time import RankingOptions

    return RankingOptions(args.rerank, args.k1, args.k2, args.lambda_value, args.qe or 0,
                          args.qe_alpha, args.dba or 0)


def format_table(reports: list[dict]) -> str:
    """One row per dataset: rank-1, mAP, mINP, and after the test-time options."""
    after = any("test_time" in r for r in reports)
    head = "| dataset | protocol | rank-1 | mAP | mINP |" + " rank-1 | mAP | mINP |" * after
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for report in reports:
        cells = [report["rank1"], report["mAP"], report["minp"]]
        if after:
            cells += [report["test_time"][k] for k in ("rank1", "mAP", "minp")]
        lines.append(f"| {report['dataset']} | {report['protocol']} | "
                     + " | ".join(f"{v:.4f}" for v in cells) + " |")
    if after:
        lines.append(f"(right: {reports[0]['test_time']['options']})")
    return "\n".join(lines)


def format_report(report: dict) -> str:
    """The measures as a two-column table."""
    from tfreid.metrics.measure import COMMAND, keys

    flip = " (test-time flip)" if report.get("flip") else ""
    lines = [f"{report['model']}{flip} on {report['dataset']}: {report['queries']} queries "
             f"({report['num_invalid_queries']} without a valid match), {report['gallery']} "
             "gallery images"]
    if "draws" in report:
        lines[0] += f", mean of {report['draws']} random gallery draws ({report['protocol']})"
    lines += [f"  {name:<15} {report[name]:.4f}" if isinstance(report[name], float)
              else f"  {name:<15} {report[name]}" for name in keys(COMMAND) if name in report]
    if "test_time" in report:
        after = report["test_time"]
        lines.append(f"after {after['options']}:")
        lines += [f"  {name:<15} {after[name]:.4f}" for name in ("rank1", "rank5", "rank10",
                                                                   "mAP", "minp") if name in after]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from pathlib import Path

        from tfreid.cli.embed import existing_dataset
        from tfreid.errors import OutputError
        from tfreid.evaluation.protocol import evaluate_model
        from tfreid.inference.embedder import embedder_for
        from tfreid.io.atomic import write_json
        from tfreid.io.outputs import check_parent_folder

        if args.out and Path(args.out).exists() and not args.overwrite:
            raise OutputError(f"{args.out} already exists; use --overwrite to replace it")
        if args.out:
            check_parent_folder(args.out)
        # a damaged model (or --flip on a flip export) fails before any other work
        embedder = embedder_for(args.model, flip=args.flip)
        options = ranking_options(args)
        # never generates the default; every dataset is opened before the first is scored
        datasets = [existing_dataset(path) for path in (args.dataset or [None])]
        reports = []
        for dataset in datasets:
            reports.append(evaluate_model(embedder, dataset, args.query_split,
                                          args.gallery_split, args.metric, args.batch_size,
                                          options=options))
            if embedder.flips:
                reports[-1]["flip"] = True
            print(format_report(reports[-1]))
        if len(reports) > 1:
            print(format_table(reports))
        if args.out:
            write_json(args.out, reports[0] if len(reports) == 1 else reports)
            print(f"written: {args.out}")
        return 0

    return run_cli(command)

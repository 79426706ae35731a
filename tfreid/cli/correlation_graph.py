"""``correlation_graph``: paper 000's Fig. 3 for an exported model on a dataset split."""

import argparse
from collections.abc import Sequence
from pathlib import Path

from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import under_home
from tfreid.option_types import fraction


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="tfreid correlation-graph",
        description="Embed a split with an export and draw its feature correlation graph.")
    parser.add_argument("export", help="a tfreid SavedModel export directory")
    parser.add_argument("--dataset", help="tfreid dataset (default: "
                                          f"{under_home('tfrecords', 'surfaces')} if it is "
                                          "there; tfreid make-tfrecords surfaces makes it)")
    parser.add_argument("--split", default="gallery", help="the dataset split embedded")
    parser.add_argument("--threshold", type=fraction, default=0.75,
                        help="features are joined where their |correlation| exceeds this")
    parser.add_argument("--out", help="PNG path (default: <export>/correlation_graph.png)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.cli.embed import existing_dataset
        from tfreid.errors import OutputError
        from tfreid.export.embedding import embed_with_export, export_image_size
        from tfreid.metrics import correlated_features, mean_absolute_correlation
        from tfreid.plots import connected_share, plot_correlation_graph

        dataset = existing_dataset(args.dataset)
        images = dataset.split(args.split, export_image_size(args.export), "memory").images
        embeddings = embed_with_export(args.export, images)
        out = Path(args.out or Path(args.export) / "correlation_graph.png")
        if (out.exists() or out.with_suffix(".json").exists()) and not args.overwrite:
            raise OutputError(f"{out} already exists; use --overwrite to replace it")
        plot_correlation_graph(embeddings, out, args.threshold)
        print(f"{out}: {connected_share(embeddings, args.threshold):.0%} of "
              f"{embeddings.shape[1]} features connected at |corr| > {args.threshold}; "
              f"mAC {mean_absolute_correlation(embeddings):.3f}, "
              f"CF {correlated_features(embeddings)}")
        return 0

    return run_cli(command)

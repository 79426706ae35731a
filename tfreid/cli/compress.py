"""``compress``: paper 001's compression sweep on a trained run or a baseline trained here."""

import argparse
from collections.abc import Sequence
from pathlib import Path

from tfreid.catalog import COMPRESSIONS
from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.compression.names import EMBEDDING_PRECISIONS, IO_TYPES
from tfreid.io.home import logs_root, under_home
from tfreid.option_types import fraction, image_size, positive_int, seed

QUICK_BASELINE = {"image_size": 48, "num_triplets": 2000, "epochs": 10, "patience": 4,
                  "batch_size": 64}


def build_parser() -> argparse.ArgumentParser:

    parser = ArgumentParser(
        prog="tfreid compress", description="Slicing, low-rank factorisation and iterative pruning "
        "of a triplet encoder's embedding, in float32, int8 storage and int8 QAT / TFLite; "
        "mAP against bytes per embedding (paper 001).")
    add = parser.add_argument
    add("--run", help="a finished run folder (logs/<run>) to compress; default: train a "
                      "triplet baseline first")
    add("--quick", action="store_true", help="small baseline: 48 px, 2,000 triplets, 10 epochs")
    add("--dataset", help="dataset of the baseline trained here (default: the surface set)")
    add("--embedding-dim", type=positive_int, default=128, help="D of the baseline trained here")
    add("--image-size", type=image_size,
        help="input side (or HxW) of the baseline trained here (default: the triplet "
             "method's, 48 with --quick)")
    add("--epochs", type=positive_int,
        help="most epochs of the baseline trained here (default: the triplet method's, 10 "
             "with --quick)")
    add("--seed", type=seed, default=0, help="seed of the baseline trained here")
    add("--dims", type=positive_int, nargs="+", help="target dims (default: D/2, D/4, ... >= 8)")
    add("--methods", nargs="+", choices=COMPRESSIONS.names(), default=list(COMPRESSIONS),
        help="slicing: a fresh encoder of each dim; low_rank: the head factorised; pruning: "
             "the weakest dims dropped step by step")
    add("--precisions", nargs="+", choices=EMBEDDING_PRECISIONS, default=list(EMBEDDING_PRECISIONS),
        help="how the embeddings are stored and the encoder is run: float32, int8 storage, "
             "int8 quantization-aware trained (TFLite)")
    add("--finetune-fraction", type=fraction, default=0.2,
        help="low-rank fine-tuning, each pruning step and QAT, as a share of the epochs")
    add("--tflite-io", choices=IO_TYPES, default="int8",
        help="input and output type of the int8 TFLite models")
    add("--out", help=f"results folder (default: {under_home('logs', 'compression')}"
                      "[-quick])")
    add("--overwrite", action="store_true",
        help="replace the results of an earlier sweep in --out")
    return parser


def _baseline(args: argparse.Namespace, out: Path):
    from tfreid.training.config import RunConfig
    from tfreid.workflows.baseline import baseline_from_run, train_baseline

    if args.run:
        return baseline_from_run(args.run)
    overrides = {"image_size": args.image_size, "epochs": args.epochs}
    config = RunConfig.for_method(
        "triplet", dataset=args.dataset, embedding_dim=args.embedding_dim, seed=args.seed,
        **(QUICK_BASELINE if args.quick else {}),
        **{k: v for k, v in overrides.items() if v is not None})
    print(f"training the baseline: {config.embedding_dim} dims, {config.epochs} epochs")
    return train_baseline(config, out / "runs" / "baseline")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.experiments.compression_report import write_compression_report
        from tfreid.experiments.compression_sweep import (
            CompressionSweep,
            halving_dims,
            run_compression_sweep,
        )
        from tfreid.io.outputs import check_new_output

        out = Path(args.out or logs_root() / ("compression" + "-quick" * args.quick))
        check_new_output(out, args.overwrite)
        if "int8-qat" in args.precisions:
            from tfreid.compression.quantization import require_qat

            require_qat()  # before the baseline trains
        encoder, config, data = _baseline(args, out)
        dim = int(encoder.output_shape[-1])
        sweep = CompressionSweep(tuple(args.dims or halving_dims(dim)), tuple(args.methods),
                                 tuple(args.precisions), args.finetune_fraction, args.tflite_io)
        sweep.check(dim)
        rows = run_compression_sweep(encoder, config, data, sweep, out / "runs")
        settings = {"baseline": config.to_dict(), "run": args.run, **vars(sweep)}
        paths = write_compression_report(rows, out, settings)
        print(paths["table"].read_text())
        print("written:", ", ".join(str(p) for p in paths.values()))
        return 0

    return run_cli(command)

"""``export``: float SavedModel, QAT SavedModel and TFLite int8 of a finished run."""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from tfreid.cli.errors import run_cli
from tfreid.cli.parsing import ArgumentParser
from tfreid.io.home import under_home
from tfreid.option_types import positive_int


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="export", description="Export a trained run for deployment: float SavedModel, "
        "QAT SavedModel and TFLite int8 (QAT needs tfreid[qat]; and ONNX with --onnx), each "
        "checked against the model it came from.")
    add = parser.add_argument
    add("run", help="a finished run folder (logs/<run>, holding encoder.keras)")
    add("--out", help=f"export folder (default: {under_home('exports', '<run>-deploy')})")
    add("--qat-epochs", type=positive_int, default=2, help="quantization-aware fine-tuning epochs")
    add("--tflite-io", choices=("int8", "float"), default="int8",
        help="TFLite input / output type")
    add("--float-only", action="store_true",
        help="only the float SavedModel, written to --out itself (default: "
             f"{under_home('exports', '<run>')}), as training exports it")
    add("--onnx", action="store_true",
        help="also write model.onnx (tf2onnx, ONNX opset 18; needs tfreid[onnx]) beside each "
             "SavedModel: uint8 images of any batch and size in, checked with onnxruntime "
             "against the SavedModel on the run's held-out images")
    add("--flip", action="store_true",
        help="with --float-only: the SavedModel embeds each image and its mirror and averages "
             "(test-time flip); tfreid.json records it, so tfreid embed does not flip again")
    add("--overwrite", action="store_true", help="replace --out if it is a tfreid export")
    return parser


def check_flip(args: argparse.Namespace) -> None:
    """Refuse ``--flip`` where it is not supported, before any work."""
    from tfreid.errors import ConfigError

    if args.flip and not args.float_only:
        raise ConfigError("--flip needs --float-only (the deployment exports do not flip)")
    if args.flip and args.onnx:
        raise ConfigError("--onnx with --flip is not supported yet")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        from tfreid.io.home import exports_root

        name = Path(args.run).name
        check_flip(args)
        if args.float_only:
            from tfreid.workflows.deployment import export_float

            out = Path(args.out or exports_root() / name)
            export_float(args.run, out, args.overwrite, args.onnx, flip=args.flip)
            print(f"written: {out}")
            return 0
        from tfreid.workflows.deployment import export_run

        out = Path(args.out or exports_root() / f"{name}-deploy")
        report = export_run(args.run, out, args.qat_epochs, args.tflite_io, args.overwrite,
                            onnx=args.onnx)
        print(json.dumps(report, indent=2))
        print(f"written: {out}")
        return 0

    return run_cli(command)

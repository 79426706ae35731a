"""Command-line pieces every training front end shares: the run options, the backbones'
and a method's own options (one flag per field of their ``Options`` dataclasses), and
training with the one-line error contract. Nothing here imports TensorFlow, so ``--help``
answers at once."""

import argparse
import math
import types
import typing
from collections.abc import Sequence
from dataclasses import MISSING, fields
from typing import Any

from tfreid.cli.errors import run_cli
from tfreid.data.input_mode import INPUTS
from tfreid.distribute.precision import PRECISIONS
from tfreid.distribute.strategies import STRATEGY_CHOICES
from tfreid.io.home import under_home
from tfreid.option_types import (
    float_in,
    fraction,
    image_size,
    int_in,
    positive_float,
    positive_int,
    seed,
)
from tfreid.training.config import LR_SCHEDULES, OPTIMIZERS, RunConfig

SHARED = {f.name for f in fields(RunConfig)} - {"method", "options", "backbone_options"}


def add_run_arguments(parser: argparse.ArgumentParser, defaults: RunConfig) -> None:
    """The options every run has: data, encoder, optimiser, logging, export, ensembles."""
    from tfreid.catalog import BACKBONES, METHODS

    # the self-supervised methods train on the wide-view set and take no augmentation flag
    self_supervised = METHODS.get(defaults.method).self_supervised
    default_set = "surfaces-wide" if self_supervised else "surfaces"
    add = parser.add_argument
    add("--dataset", help="tfreid TFRecord dataset directory (default: the embedded "
                          f"surface set, generated into {under_home('tfrecords', default_set)} "
                          "on first use)")
    add("--train-datasets", nargs="+", default=defaults.train_datasets, metavar="DIR",
        help="further tfreid datasets whose training splits join --dataset's, each "
             "dataset's identities and cameras kept apart (the test stays --dataset's)")
    add("--test-datasets", nargs="+", default=defaults.test_datasets, metavar="DIR",
        help="also score the trained encoder on these datasets, each under its own "
             "protocol, into results.json's test_datasets (cross-domain: train on one, "
             "test on another)")
    add("--input", choices=INPUTS, default=defaults.input,
        help="memory: decode the dataset into memory once; stream: read each batch's images "
             "from the TFRecord shards; auto: stream when the images would take over a "
             "quarter of the free memory")
    add("--backbone", default=defaults.backbone, choices=BACKBONES.names(),
        help="encoder: table1 (paper 000), siamese_base (004), pami (002) or a Keras "
             "application")
    add_backbone_arguments(parser, defaults.backbone_options)
    add("--epochs", type=positive_int, default=defaults.epochs,
        help="most training epochs (early stopping may end the run sooner)")
    add("--batch-size", type=positive_int, default=defaults.batch_size,
        help="training batch size (the global batch, over all replicas)")
    add("--lr", type=positive_float, default=defaults.lr,
        help="learning rate (the base rate of --lr-schedule)")
    add("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer,
        help="adam, adamw (decoupled --optimizer-weight-decay) or sgd (momentum 0.9), for "
             "the methods that do not choose their own (Spreading, InsCLR and STML do)")
    add("--image-size", type=image_size, default=defaults.image_size,
        help="side of square inputs, or HxW (e.g. 128x64 for Market-1501)")
    add("--embedding-dim", type=positive_int, default=defaults.embedding_dim,
        help="dimensions of the embedding")
    add("--patience", type=positive_int, default=defaults.patience,
        help="early-stopping epochs without a better validation mAP")
    add("--val-fraction", "--validation-fraction", dest="validation_fraction", type=fraction,
        default=defaults.validation_fraction,
        help="share of training identities held out for validation and early stopping")
    add("--folds", type=positive_int, default=defaults.folds,
        help="> 1: pool all identities and test on identity-disjoint fold --fold")
    add("--fold", type=int_in(0), default=defaults.fold,
        help="with --folds > 1: the fold (0 to folds - 1) tested on")
    add("--seed", type=seed, default=defaults.seed,
        help="seed of the weights, the data splits and the batches")
    add("--members", type=positive_int, default=defaults.members,
        help="ensemble of independent submodels (paper 000, section VI)")
    add("--member-dim", type=positive_int, default=defaults.member_dim,
        help="dims per member (default: embedding dim / members)")
    add("--side-by-side", action="store_true", help="train all members in one step")
    add("--initial-weights", help="start from the encoder of a finished run (its folder) of "
                                  "the same architecture")
    add("--logdir", help=f"run folder (default: {under_home('logs', '<run-name>')}); a rerun "
                         "of an unfinished run resumes it")
    add("--export", help=f"SavedModel directory (default: {under_home('exports', '<run-name>')})")
    add("--save-export", action=argparse.BooleanOptionalAction, default=defaults.save_export,
        help="export a SavedModel when training ends")
    add("--run-name", help=f"name of the run folder in {under_home('logs')} (default: "
                           "<method>-<date>-<time>, "
                           "or the unfinished run of the same settings, resumed)")
    add("--overwrite", action="store_true",
        help="replace --export if it is a SavedModel tfreid exported")
    add("--projector-every", type=int_in(0), default=defaults.projector_every,
        help="> 0: the validation embeddings in TensorBoard's Projector every N epochs (the "
             "held-out test embeddings go there at the end of every run)")
    add("--xla", action=argparse.BooleanOptionalAction, default=None,
        help="XLA jit_compile (default: on with a GPU, off on CPU)")
    if not self_supervised:
        _add_augmentation_argument(parser, defaults)
    _add_optimisation_arguments(parser, defaults)
    _add_distribution_arguments(parser, defaults)


def _add_augmentation_argument(parser: argparse.ArgumentParser, defaults: RunConfig) -> None:
    from tfreid.catalog import TRAIN_AUGMENT_SHORTHANDS, TRAIN_AUGMENTATIONS

    names = TRAIN_AUGMENTATIONS.names()
    parser.add_argument(
        "--train-augment", nargs="+", choices=[*names, *TRAIN_AUGMENT_SHORTHANDS],
        default=defaults.train_augment, metavar="AUGMENTATION",
        help=f"augment the training images of P x K, pair and triplet batches (the supervised "
             f"methods), applied in the order {', '.join(names)} whatever the order given: "
             + "; ".join(f"{n}: {TRAIN_AUGMENTATIONS.describe(n)}" for n in names)
             + "; bot: flip pad_crop erase (default: none)")


def _add_optimisation_arguments(parser: argparse.ArgumentParser, defaults: RunConfig) -> None:
    group = parser.add_argument_group(
        "learning-rate schedule, weight decay, clipping (methods that choose no optimizer)")
    add = group.add_argument
    add("--lr-schedule", choices=LR_SCHEDULES, default=defaults.lr_schedule,
        help="after the warm-up: constant --lr, times --lr-gamma at each of --lr-milestones, "
             "or cosine decay to --min-lr at the end of training")
    add("--warmup-epochs", type=int_in(0), default=defaults.warmup_epochs,
        help="epochs of linear warm-up (per step) from --warmup-factor x --lr to --lr")
    add("--warmup-factor", type=float_in(0.0, 1.0, low_open=True),
        default=defaults.warmup_factor, help="share of --lr the warm-up starts at")
    add("--lr-milestones", type=positive_int, nargs="+", default=defaults.lr_milestones,
        metavar="EPOCH",
        help="multistep: the rate drops after each of these many epochs (default: none)")
    add("--lr-gamma", type=float_in(0.0, 1.0, low_open=True), default=defaults.lr_gamma,
        help="multistep: factor of the rate at each milestone")
    add("--min-lr", type=float_in(0.0, math.inf), default=defaults.min_lr,
        help="cosine: the rate reached at the end of training")
    add("--optimizer-weight-decay", type=float_in(0.0, math.inf),
        default=defaults.optimizer_weight_decay,
        help="decoupled weight decay (x the current rate) of adamw and sgd; biases and "
             "normalisation gamma/beta are not decayed")
    add("--clipnorm", type=positive_float, default=defaults.clipnorm,
        help="clip the gradients' global norm to this (default: no clipping)")


def _add_distribution_arguments(parser: argparse.ArgumentParser, defaults: RunConfig) -> None:
    group = parser.add_argument_group("devices and workers (tf.distribute)")
    group.add_argument("--strategy", choices=STRATEGY_CHOICES, default=defaults.strategy,
                       help="auto: multiworker if TF_CONFIG names several workers, mirrored "
                            "with several GPUs, else none")
    group.add_argument("--precision", choices=PRECISIONS, default=defaults.precision,
                       help="Keras mixed-precision policy (losses are computed in float32)")
    group.add_argument("--cross-replica", action=argparse.BooleanOptionalAction,
                       default=defaults.cross_replica,
                       help="batch losses and miners see every replica's embeddings (the "
                            "global batch)")
    group.add_argument("--sync-batch-norm", action=argparse.BooleanOptionalAction,
                       default=defaults.sync_batch_norm,
                       help="batch normalisation over the global batch")


def _value_type(annotation: Any, minimum: float | None, maximum: float | None = None):
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] \
        if isinstance(annotation, types.UnionType) else [annotation]
    kind = kinds[0]
    if kind is int:
        return int_in(int(minimum) if minimum is not None else -2**63,
                      int(maximum) if maximum is not None else None)
    if kind is float:
        return float_in(minimum if minimum is not None else -math.inf,
                        maximum if maximum is not None else math.inf)
    return str


def _add_option(group, spec, default: Any, help_text: str | None) -> None:
    """The flag of one ``Options`` field (``tfreid.registry.option``): ``--<name>`` or its
    own ``flag``, with the field's help, choices and bounds."""
    flag = spec.metadata.get("flag") or "--" + spec.name.replace("_", "-")
    choices = spec.metadata.get("choices")
    if spec.type is bool:
        group.add_argument(flag, dest=spec.name, action=argparse.BooleanOptionalAction,
                           default=default, help=help_text)
        return
    group.add_argument(flag, dest=spec.name, default=default, help=help_text,
                       type=_value_type(spec.type, spec.metadata.get("minimum"),
                                        spec.metadata.get("maximum")),
                       choices=[c for c in choices if c is not None] if choices else None)


def _default(spec, defaults: dict[str, Any] | None) -> Any:
    return (defaults or {}).get(spec.name, spec.default if spec.default is not MISSING
                                else spec.default_factory())


def add_option_arguments(parser: argparse.ArgumentParser, options_type: type,
                         defaults: dict[str, Any] | None = None) -> None:
    """One flag per field of a method's ``Options`` dataclass, with its help and choices."""
    group = parser.add_argument_group(f"{options_type.__name__} (the method's own options)")
    for spec in fields(options_type):
        _add_option(group, spec, _default(spec, defaults), spec.metadata.get("help"))


def backbone_fields() -> dict[str, tuple[Any, list[str]]]:
    """Every backbone option: name -> (its field, the backbones that have it). Backbones
    that share an option (the Keras applications' ``weights``) share its flag."""
    from tfreid.catalog import BACKBONES

    found: dict[str, tuple[Any, list[str]]] = {}
    for name in BACKBONES:
        for spec in fields(BACKBONES.get(name).Options):
            found.setdefault(spec.name, (spec, []))[1].append(name)
    return found


def add_backbone_arguments(parser: argparse.ArgumentParser,
                           defaults: dict[str, Any] | None = None) -> None:
    """One flag per field of every backbone's ``Options`` (the chosen backbone reads its
    own), generated as a method's are."""
    group = parser.add_argument_group("backbone options (each backbone reads its own)")
    for spec, backbones in backbone_fields().values():
        help_text = f"{spec.metadata.get('help')} [{', '.join(backbones)}]"
        _add_option(group, spec, _default(spec, defaults), help_text)


def run_settings(args: dict[str, Any]) -> dict[str, Any]:
    """The shared RunConfig fields of parsed ``args`` and the chosen backbone's options."""
    from tfreid.catalog import BACKBONES

    settings = {k: v for k, v in args.items() if k in SHARED}
    names = BACKBONES.get(settings["backbone"]).option_names()
    return {**settings, "backbone_options": {k: v for k, v in args.items() if k in names}}


def config_from_args(parser: argparse.ArgumentParser, method: str,
                     argv: Sequence[str] | None) -> RunConfig:
    """Parse ``argv`` into a RunConfig of ``method`` (shared flags and the method's options)."""
    from tfreid.catalog import METHODS

    args = vars(parser.parse_args(argv))
    option_names = {f.name for f in fields(METHODS.get(method).Options)}
    return RunConfig(method=method, **run_settings(args),
                     options={k: v for k, v in args.items() if k in option_names})


def train_and_report(config: RunConfig) -> int:
    """Train, print the results table; errors become one line (``run_cli``)."""

    def command() -> int:
        from tfreid.training.engine import train
        from tfreid.training.report import format_results

        results = train(config)
        if "worker" in results:
            print(f"worker {results['worker']} finished run {results['run']} (the chief "
                  "writes its results)")
        else:
            print(format_results(results))
        return 0

    return run_cli(command)

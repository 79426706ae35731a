"""Identity classification with a metric loss: the bag-of-tricks baseline (Luo et al., "Bag
of Tricks and A Strong Baseline for Deep Person Re-identification", CVPRW 2019).

On P x K batches (Hermans et al., 2017; labels are class indices over the run's identities)
the encoder's features f_t before its BNNeck (``--neck bnneck``; ``tfreid.models.neck``) and
f_i after it are trained by

    L = w_id L_ID(f_i) + w_metric L_metric(f_t) + w_center L_C(f_t)

* L_ID: ``IdentityLoss``, label-smoothed (eps = 0.1) softmax cross-entropy over a bias-free
  linear classifier of the identities (BoT eq. 3);
* L_metric: any batch loss of ``catalog.BATCH_LOSSES`` without class weights, by default
  batch-hard triplet with margin 0.3 (BoT eq. 1; ``soft_margin``: Hermans et al.'s soft
  margin), or none;
* L_C: ``CenterLoss`` (BoT eq. 6), off by default (BoT's final model: w_center = 0.0005),
  its centers moved by their own SGD step (``center_lr``, BoT's 0.5).

Without a neck both features are the encoder's output. The classifier and the centers are
state layers of the trained model (a ``CenterTrainer`` / ``EmbeddingTrainer`` around a
model of the encoder's three heads): they train, checkpoint and resume with it, while the
run evaluates and exports the encoder, whose output is f_i (BoT's inference feature).
Under ``tf.distribute`` each head's loss is Keras-reduced over the global batch (the
identity loss per sample, the metric loss over the gathered batch, ``cross_replica``).

The defaults are BoT's optimisation (Adam 3.5e-4, warm-up over 10 epochs from 3.5e-5,
x0.1 at epochs 40 and 70, 120 epochs, batch 64 = 16 x 4, an epoch of training images /
batch size steps; never stopping early); ``recipe="bot"`` sets the rest of BoT (ResNet-50,
last stride 1, BNNeck, 256 x 128 inputs, flip, pad-and-crop and random erasing, center
loss) where the settings do not name them. The run saves, evaluates and exports the feature
after the neck (BoT's), or with ``exported_feature="before_neck"`` the encoder up to its
neck (``inference_encoder``; the neck's weights stay in the run's checkpoints).

Example::

    from tfreid.training.config import RunConfig

    config = RunConfig.for_method("classification", dataset="tfrecords/market1501", recipe="bot")
    assert config.backbone == "resnet50" and config.setting("neck") == "bnneck"
    # tfreid.training.engine.train(config) trains it, as the command below does

Command::

    tfreid train --method classification --recipe bot --dataset tfrecords/market1501
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tfreid.catalog import BATCH_LOSSES, CLASS_WEIGHT_LOSSES, DISTANCES, MINER_CHOICES
from tfreid.errors import ConfigError
from tfreid.registry import option
from tfreid.training.methods.base import Method, Plan

if TYPE_CHECKING:  # TensorFlow loads when a run plans, not when --help lists options
    from tfreid.backend import keras

METRIC_LOSSES = ("none", *(name for name in BATCH_LOSSES.names()
                           if name not in CLASS_WEIGHT_LOSSES))
BOT_CENTER_WEIGHT = 0.0005
BOT_MARGIN = 0.3  # batch-hard triplet margin
# what --recipe bot sets beyond the method's defaults (explicit settings win): BoT's
# backbone, input and augmentation; its center loss comes with the recipe (center_weight)
BOT_RECIPE = {"backbone": "resnet50", "last_stride": 1, "neck": "bnneck",
              "image_size": (256, 128), "train_augment": ["flip", "pad_crop", "erase"]}


@dataclass
class ClassificationOptions:
    metric_loss: str = option("triplet_margin", "batch loss on the features before the neck "
                              "(none: identity loss only)", METRIC_LOSSES)
    miner: str = option("hard", "the metric loss's pairs / triplets", MINER_CHOICES)
    distance: str | None = option(None, "the metric loss's distance (default: its own)",
                                  (None, *DISTANCES.names()))
    margin: float | None = option(None, "the metric loss's margin (default: 0.3 for "
                                  "triplet_margin, BoT's; else the loss's own)")
    soft_margin: bool = option(False, "triplet_margin: the soft margin ln(1 + exp(d_ap - "
                               "d_an)) (Hermans et al.) instead of --margin")
    metric_weight: float = option(1.0, "weight of the metric loss", minimum=0.0)
    identity_weight: float = option(1.0, "weight of the identity loss", minimum=0.0)
    label_smoothing: float = option(0.1, "identity loss label smoothing epsilon",
                                    minimum=0.0, maximum=0.999)
    center_weight: float | None = option(None, "weight of the center loss (0: off; default: "
                                         "the recipe's, bot 0.0005)", minimum=0.0)
    center_lr: float = option(0.5, "SGD learning rate of the centers", minimum=0.0)
    samples_per_identity: int = option(4, "K of P x K batches", minimum=2)
    steps_per_epoch: int | None = option(None, "training batches per epoch (default: training "
                                         "images / batch size, BoT's epoch)", minimum=1)
    validation_steps: int = option(8, "validation batches per epoch", minimum=1)
    recipe: str = option("none", "bot: BoT's ResNet-50 (last stride 1, BNNeck) at 256x128, "
                         "flip, pad-and-crop and random erasing, center loss; explicit "
                         "settings win", ("none", "bot"))
    exported_feature: str = option("after_neck", "feature the export gives (BoT: after_neck)",
                                   ("after_neck", "before_neck"))


class ClassificationMethod(Method):
    """Identity loss after the neck plus a metric loss before it (module docstring)."""

    name = "classification"
    description = "identity classification + batch-hard triplet on P x K batches (BoT)"
    Options = ClassificationOptions
    defaults = {"optimizer": "adam", "lr": 3.5e-4, "lr_schedule": "multistep",
                "warmup_epochs": 10, "warmup_factor": 0.1, "lr_milestones": [40, 70],
                "lr_gamma": 0.1, "epochs": 120, "batch_size": 64, "patience": 120}

    takes_train_augment = True
    recipes = {"bot": BOT_RECIPE}

    def run_prefix(self) -> str:
        return f"classification-{self.options.metric_loss}"

    def center_weight(self) -> float:
        """The center loss's weight: the option, else the recipe's (bot 0.0005, none 0)."""
        weight = self.options.center_weight
        if weight is not None:
            return float(weight)
        return BOT_CENTER_WEIGHT if self.options.recipe == "bot" else 0.0

    def check(self) -> None:
        super().check()
        options, config = self.options, self.config
        if config.batch_size < 2 * options.samples_per_identity:
            raise ConfigError(f"P x K batches need batch size >= 2 K, got K = "
                              f"{options.samples_per_identity}, batch size {config.batch_size}")
        if config.members > 1:
            raise ConfigError("classification trains one encoder (its classifier and neck "
                              "are one model's), not ensemble members")
        if options.soft_margin and (options.metric_loss != "triplet_margin"
                                    or options.margin is not None):
            raise ConfigError("soft_margin replaces the margin of the triplet_margin metric "
                              "loss: use it with that loss and without --margin")

    def inference_encoder(self, encoder: "keras.Model") -> "keras.Model":
        """``encoder`` up to its neck if ``exported_feature`` is before_neck, else itself."""
        from tfreid.backend import keras
        from tfreid.models.neck import features_before_neck

        before, after = features_before_neck(encoder).outputs
        if self.options.exported_feature == "after_neck" or before is after:
            return encoder
        return keras.Model(encoder.inputs, before, name=encoder.name)

    def plan(self, encoder: "keras.Model", data: dict) -> Plan:
        from tfreid.training.methods.sampling import augmented_images_callbacks, pk_streams

        identities = np.unique(np.concatenate([data["train"].identities,
                                               data["validation"].identities]))

        def class_index(values: np.ndarray) -> np.ndarray:
            return np.searchsorted(identities, values).astype(np.int64)

        stream, validation = pk_streams(self.config, data, self.options.samples_per_identity,
                                        self.options.validation_steps, class_index)
        model, losses = self.trainer(encoder, len(identities))
        steps = self.options.steps_per_epoch or max(1, len(data["train"].identities)
                                                    // self.config.batch_size)
        return Plan(model, losses, stream, steps, validation,
                    callbacks=augmented_images_callbacks(self.config, stream))

    def trainer(self, encoder: "keras.Model", num_classes: int) -> tuple["keras.Model", list]:
        """(model to train, its heads' weighted losses): the encoder's heads (metric, identity,
        center; those in use), the classifier and centers attached."""
        from tfreid.backend import keras
        from tfreid.losses.center import CenterLoss
        from tfreid.losses.identity import IdentityLoss
        from tfreid.losses.weighted import WeightedLoss
        from tfreid.models.neck import features_before_neck

        options, seed = self.options, self.config.seed
        before, after = features_before_neck(encoder).outputs
        identity = IdentityLoss(num_classes, int(after.shape[-1]), options.label_smoothing,
                                seed=seed)
        heads = [("identity", after, identity, options.identity_weight)]
        if options.metric_loss != "none":
            heads.insert(0, ("metric", before, self.metric_loss(), options.metric_weight))
        center = None
        if self.center_weight() > 0:
            center = CenterLoss(num_classes, int(before.shape[-1]), options.center_lr,
                                seed=seed + 1)
            heads.append(("center", before, center, self.center_weight()))
        outputs = [keras.layers.Activation("linear", dtype="float32", name=name)(tensor)
                   for name, tensor, _, _ in heads]
        model = identity.attach(keras.Model(encoder.inputs, outputs, name=f"{encoder.name}"
                                                                          "_heads"))
        if center is not None:
            model = center.attach(model)
        model.output_names = model.encoder.output_names  # logs: metric_loss, identity_loss
        return model, [WeightedLoss(loss, weight, name=f"{name}_loss")
                       for name, _, loss, weight in heads]

    def metric_loss(self) -> "keras.losses.Loss":
        """The configured batch loss (miner, distance, margin; gathering across replicas
        as ``cross_replica``)."""
        options = self.options
        settings = {"miner": options.miner, "cross_replica": self.config.cross_replica}
        if options.distance is not None:
            settings["distance"] = options.distance
        margin = BOT_MARGIN if options.margin is None and options.metric_loss == \
            "triplet_margin" else options.margin
        if margin is not None:
            settings["margin"] = margin
        if options.soft_margin:
            settings["soft"] = True
        try:
            return BATCH_LOSSES.get(options.metric_loss)(**settings)
        except TypeError:
            raise ConfigError(f"loss {options.metric_loss} takes no margin") from None


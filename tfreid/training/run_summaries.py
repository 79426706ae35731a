"""What a finished run adds to TensorBoard, in its own folder (a run of ``--logdir logs``):

* the held-out test scores as scalars ``test/<key>`` at the last epoch: the measures
  with the ``tensorboard`` or ``hparams`` place (``tfreid.catalog.MEASURES``);
* the run's settings as HParams (``hp.hparams``) with those scalars as its
  metrics, so the HParams tab compares the runs of a sweep side by side (the tab
  takes a run's metrics from its scalars: an ``hparams`` measure is written as one);
* the held-out query and gallery embeddings in the Projector, with a sprite of
  their images and identity / split / camera labels.
"""

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tfreid.backend import tf
from tfreid.callbacks.projector import split_labels, write_projector
from tfreid.errors import describe
from tfreid.metrics.measure import HPARAMS, TENSORBOARD, measures
from tfreid.training.run_folder import settings_of


def test_scalars() -> tuple[str, ...]:
    """The keys of the measures written as ``test/<key>``: TensorBoard scalars and HParams
    metrics, in registry order."""
    return tuple(m.key for m in measures() if {TENSORBOARD, HPARAMS} & m.places)


def flat_hparams(config: dict[str, Any]) -> dict[str, bool | int | float | str]:
    """The run's settings (``settings_of``: no paths or names of its outputs) as HParams
    can show them: scalars, tuples as text, method options as ``option.<name>``;
    nothing that is None."""
    flat: dict[str, Any] = {}
    for key, value in settings_of(config).items():
        if key == "options":
            flat.update({f"option.{k}": v for k, v in (value or {}).items()})
        else:
            flat[key] = value
    return {k: v if isinstance(v, bool | int | float | str) else str(v)
            for k, v in flat.items() if v is not None}


def write_test_summaries(run_dir: Path, config: dict[str, Any], test: dict[str, Any],
                         step: int) -> None:
    """Test scalars and HParams in ``run_dir`` (module docstring)."""
    from tensorboard.plugins.hparams import api as hp

    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default():
        hp.hparams(flat_hparams(config), trial_id=run_dir.name)
        for name in test_scalars():
            if name in test:
                tf.summary.scalar(f"test/{name}", float(test[name]), step=step)
    writer.close()


def write_run_summaries(run_dir: Path, config: dict[str, Any], test: dict[str, Any], step: int,
                        embeddings: tuple[np.ndarray, np.ndarray], query, gallery) -> None:
    """Everything of the module docstring. The run's results are saved before this runs:
    a failure here (a full disk) is a warning, not the loss of the run."""
    try:
        write_test_summaries(run_dir, config, test, step)
        write_projector(run_dir, "held_out", np.concatenate(embeddings),
                        [query.images, gallery.images], split_labels(query, gallery))
    except Exception as error:  # the results are safe; say what is missing and go on
        warnings.warn(f"the run is saved, but its TensorBoard summaries (test scalars, "
                      f"HParams, Projector) could not be written: {describe(error)}",
                      RuntimeWarning, stacklevel=2)

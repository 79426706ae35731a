"""What a finished run adds to TensorBoard: HParams values and a failure that loses nothing."""

import numpy as np
import pytest

from tfreid.data.reader import SplitArrays
from tfreid.training import RunConfig
from tfreid.training.run_summaries import flat_hparams, write_run_summaries


def test_hparams_are_the_settings_without_output_paths():
    config = RunConfig.for_method("batch", loss="multi_similarity", image_size=(128, 64),
                                  logdir="logs/x", export="exports/x", run_name="x").to_dict()
    flat = flat_hparams(config)
    assert flat["lr"] == config["lr"] and flat["option.loss"] == "multi_similarity"
    assert flat["image_size"] == "[128, 64]"  # a list in the settings: shown as text
    assert not {"logdir", "export", "run_name", "overwrite"} & set(flat)
    assert all(isinstance(v, bool | int | float | str) for v in flat.values())


def test_a_failing_summary_is_a_warning_and_the_run_stays(tmp_path):
    blocker = tmp_path / "run"
    blocker.write_text("a file where the run folder should be")
    split = SplitArrays(np.zeros((2, 8, 8, 3), np.uint8), np.array([0, 1]), np.array([0, 0]),
                        np.array(["a", "b"]))
    with pytest.warns(RuntimeWarning, match="TensorBoard summaries .* could not be written"):
        write_run_summaries(blocker, {"lr": 0.1}, {"rank1": 0.5}, 1,
                            (np.zeros((2, 4)), np.zeros((2, 4))), split, split)
    assert blocker.read_text() == "a file where the run folder should be"

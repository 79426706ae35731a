"""--input stream trains every sampler's methods exactly as the in-memory path does, so it
learns as that path does (tests/training/test_engine.py shows every method learning, its
triplet run streamed); the
self-supervised ones: tests/training/self_supervised/test_methods.py."""

import numpy as np
import pytest

from tfreid.errors import ConfigError
from tfreid.training import RunConfig, load_run, train

pytestmark = pytest.mark.numeric  # streamed against in-memory training, exactly

STEPS = {"steps_per_epoch": 2, "validation_steps": 1}
# through the engine: one sampler that gathers a batch (also with --train-augment) and one
# that unbatches, augments and batches again; every sampler's batches are compared in
# tests/data/test_record_images.py (augmented ones in tests/data/test_reid_augment.py)
SAMPLERS = {
    "pk": ("batch", {"loss": "multi_similarity", **STEPS}),
    "views": ("augmented", {"augment": "simclr", **STEPS}),
    # P x K with the re-id training augmentations (issue 21), seeded by step and position
    "pk augmented": ("batch", {"loss": "multi_similarity", **STEPS,
                               "train_augment": ["flip", "pad_crop", "jitter", "erase"]}),
}


def small_config(tmp_path, dataset, method, **settings):
    return RunConfig.for_method(method, dataset=str(dataset), epochs=2, batch_size=8,
                                image_size=40, embedding_dim=16, run_name="t",
                                logdir=str(tmp_path / "logs"), save_export=False, **settings)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_streamed_training_equals_training_in_memory(tmp_path, tiny_dataset, sampler):
    method, options = SAMPLERS[sampler]
    runs = {}
    for mode in ("memory", "stream"):
        config = small_config(tmp_path / mode, tiny_dataset, method, input=mode, **options)
        results = train(config, verbose=0)
        runs[mode] = (results, load_run(config.logdir)[0])
    (memory, memory_encoder), (streamed, streamed_encoder) = runs["memory"], runs["stream"]
    assert streamed["test"] == memory["test"] and streamed["history"] == memory["history"]
    for a, b in zip(memory_encoder.get_weights(), streamed_encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method, options", [("stml", {}), ("insclr", {"cycles": 2})])
def test_neighbour_batch_methods_refuse_to_stream_under_xla(tmp_path, tiny_dataset, method,
                                                            options):
    config = small_config(tmp_path, tiny_dataset, method, input="stream", xla=True, **options)
    with pytest.raises(ConfigError, match="reads streamed images inside its training step"):
        train(config, verbose=0)

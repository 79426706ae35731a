"""A killed run resumes where it stopped and ends as if it had never been killed (issue 9,
cases 6 and 7). These run the command in subprocesses, as a user or a scheduler does."""

import json
import signal
import time

import numpy as np
import pytest

from tests.helpers import script, start_script, tiny_siamese, wait_for
from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import keras, tf
from tfreid.metrics.measure import REPORT, measures

# resumed against uninterrupted runs
pytestmark = [pytest.mark.numeric, pytest.mark.slow]

NO_EXPORT = "--no-save-export"  # these runs are about resuming; exporting is tested elsewhere


@pytest.fixture(scope="module")
def uninterrupted(tiny_dataset, tmp_path_factory):
    """The reference: the same command, never interrupted."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    result = script("train_siamese", *tiny_siamese(tiny_dataset, NO_EXPORT, epochs=4, steps=25),
                    "--run-name", "run", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


def encoder_of(folder):
    return keras.models.load_model(folder / "logs" / "run" / "encoder.keras", compile=False)


def weights(folder):
    return encoder_of(folder).get_weights()


def test_rerun_after_sigkill_resumes_and_matches_an_uninterrupted_run(uninterrupted,
                                                                      tiny_dataset, tmp_path):
    command = [*tiny_siamese(tiny_dataset, NO_EXPORT, epochs=4, steps=25), "--run-name", "run"]
    process = start_script("train_siamese", *command, cwd=tmp_path)
    wait_for(tmp_path / "logs" / "run" / "resume" / "state-00001.json", process)
    time.sleep(0.1)  # into the third epoch
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert not (tmp_path / "logs" / "run" / "results.json").exists()
    resumed = script("train_siamese", *command, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr == ""  # no cuInit, oneDNN or absl start-up lines
    assert "resuming run run in logs/run" in resumed.stdout
    logged = [line for line in resumed.stdout.splitlines() if line.strip()]
    labels = tuple(m.label for m in measures(REPORT))  # the held-out table's rows
    assert all(line.startswith(("resuming", "epoch ", "run ", "measure", *labels,
                                "all held-out", "retrieval", "revisited", "TensorBoard",
                                "SavedModel"))
               or "held out" in line
               for line in logged), logged
    assert "Epoch 1/4" not in resumed.stdout
    expected = json.loads((uninterrupted / "logs" / "run" / "results.json").read_text())
    got = json.loads((tmp_path / "logs" / "run" / "results.json").read_text())
    # exactly: the same kernels add in the same order on the same batches, from weights and
    # optimizer state restored bit for bit (a skipped or repeated batch shows at once)
    assert got["test"] == expected["test"] and got["epochs_run"] == 4
    assert got["history"] == expected["history"]
    for mine, theirs in zip(weights(tmp_path), weights(uninterrupted), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert not (tmp_path / "logs" / "run" / "resume").exists()


def test_rerun_of_the_same_command_without_a_name_finds_the_killed_run(tiny_dataset, tmp_path):
    command = tiny_siamese(tiny_dataset, NO_EXPORT, epochs=2, steps=15)
    process = start_script("train_siamese", *command, cwd=tmp_path)
    wait_for(tmp_path / "logs", process)
    while not list((tmp_path / "logs").glob("*/resume/state-00000.json")):
        assert process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    (killed,) = (tmp_path / "logs").iterdir()
    resumed = script("train_siamese", *command, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming run {killed.name}" in resumed.stdout
    assert [p.name for p in (tmp_path / "logs").iterdir()] == [killed.name]
    fresh = script("train_siamese", *command, cwd=tmp_path)  # finished: a new run
    assert fresh.returncode == 0 and len(list((tmp_path / "logs").iterdir())) == 2


def test_sigterm_ends_in_one_line_and_leaves_the_run_resumable(tiny_dataset, tmp_path):
    command = [*tiny_siamese(tiny_dataset, NO_EXPORT, epochs=3, steps=25),
               "--run-name", "term"]
    process = start_script("train_siamese", *command, cwd=tmp_path)
    wait_for(tmp_path / "logs" / "term" / "resume" / "state-00000.json", process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines() == [
        "error: terminated (SIGTERM); nothing was left half-written; run term is kept in "
        "logs/term: rerun the same command to resume it after its last finished epoch"]
    assert not [p for p in tmp_path.rglob(".*partial-*")]
    assert script("train_siamese", *command, cwd=tmp_path).returncode == 0


def test_sigterm_while_writing_a_dataset_leaves_no_staging_folder(tmp_path):
    process = start_script("make_tfrecords", "surfaces", "--num-identities", "40",
                           "--images-per-shard", "1", "--out", "ds", cwd=tmp_path)
    while not list(tmp_path.glob(".ds.partial-*/train-*")):
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert err.strip() == "error: terminated (SIGTERM); nothing was left half-written"
    assert list(tmp_path.iterdir()) == []


def test_rerun_of_a_run_killed_while_exporting_exports_it_without_training(
        tiny_dataset, tmp_path, monkeypatch, capsys):
    from tfreid.cli.train_siamese import main as siamese_main

    command = [*tiny_siamese(tiny_dataset, epochs=1), "--run-name", "run"]
    process = start_script("train_siamese", *command, cwd=tmp_path)
    exports = tmp_path / "exports"
    while not list(exports.glob(".run.partial-*/.tfreid-staging.json")):  # exporting
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert not (exports / "run").exists() and list(exports.glob(".run.partial-*"))
    results_path = tmp_path / "logs" / "run" / "results.json"
    saved = json.loads(results_path.read_text())
    assert saved["export"] is None
    monkeypatch.chdir(tmp_path)
    assert siamese_main(command) == 0  # the same command again (here in-process: faster)
    again = capsys.readouterr()
    assert again.err == ""
    assert again.out.startswith("run run has finished already; exporting it to exports/run\n")
    assert not [line for line in again.out.splitlines() if line.startswith(("epoch ", "Ep"))]
    assert json.loads(results_path.read_text()) == {**saved, "export": "exports/run"}
    assert [p.name for p in exports.iterdir()] == ["run"]  # the dead process' staging is gone
    serve = tf.saved_model.load(str(exports / "run")).signatures["serving_default"]
    images = np.random.default_rng(0).integers(0, 255, (3, 40, 40, 3), dtype=np.uint8)
    encoder = encoder_of(tmp_path)
    assert_float32_close(serve(images=tf.constant(images))["embeddings"].numpy(),
                         encoder(images).numpy(), *network_terms(encoder))

"""Runs never destroy what tfreid did not write, save their work before exporting, and fail
in one line (issue 9, cases 1-3, 14, 15, 17, 18)."""

import errno
import json

import numpy as np
import pytest

from tests.helpers import dataset_with_lonely_identity, the_error_line, tiny_siamese
from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import keras, tf
from tfreid.cli.train_siamese import main as siamese_main
from tfreid.cli.train_triplet import main as triplet_main
from tfreid.io.locks import exclusive_lock


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv):
    status = siamese_main(list(argv))
    return status, capsys.readouterr()


def test_export_into_a_folder_with_files_is_refused(in_tmp, tiny_dataset, capsys):
    mine = in_tmp / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    status, out = run(capsys, *tiny_siamese(tiny_dataset), "--export", str(mine))
    assert status == 2
    assert the_error_line(out.err) == f"error: {mine} already exists; use --overwrite to replace it"
    assert (mine / "thesis.tex").read_text() == "years of work"
    assert not (in_tmp / "logs").exists() or not any((in_tmp / "logs").iterdir())
    status, out = run(capsys, *tiny_siamese(tiny_dataset), "--export", str(mine), "--overwrite")
    assert status == 2 and "holds files tfreid did not write" in the_error_line(out.err)
    assert (mine / "thesis.tex").read_text() == "years of work"


def test_export_onto_a_file_is_refused(in_tmp, tiny_dataset, capsys):
    notes = in_tmp / "some_file.txt"
    notes.write_text("keep me")
    for extra in ((), ("--overwrite",)):
        status, out = run(capsys, *tiny_siamese(tiny_dataset), "--export", str(notes), *extra)
        assert status == 2 and "is not a folder" in the_error_line(out.err)
    assert notes.read_text() == "keep me"


@pytest.mark.slow
def test_export_folder_of_earlier_exports_is_never_replaced(in_tmp, tiny_dataset, capsys):
    status, _ = run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "first")
    assert status == 0 and (in_tmp / "exports" / "first" / "saved_model.pb").is_file()
    status, out = run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "second",
                      "--export", "exports", "--overwrite")
    assert status == 2 and "tfreid did not write" in the_error_line(out.err)
    assert (in_tmp / "exports" / "first" / "saved_model.pb").is_file()


def test_logdir_and_export_may_not_overlap(in_tmp, tiny_dataset, capsys):
    for export in ("runD", "runD/export"):
        status, out = run(capsys, *tiny_siamese(tiny_dataset), "--logdir", "runD",
                          "--export", export)
        assert status == 2 and "may not be the same folder" in the_error_line(out.err)
    status, out = run(capsys, *tiny_siamese(tiny_dataset), "--logdir", "outer/run",
                      "--export", "outer")
    assert status == 2 and "lie inside each other" in the_error_line(out.err)


@pytest.mark.slow
def test_overwrite_replaces_a_tfreid_export(in_tmp, tiny_dataset, capsys):
    assert run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "a", "--export", "e")[0] == 0
    first = (in_tmp / "e" / "tfreid.json").read_text()
    assert json.loads(first)["run"] == "a"
    assert run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "b", "--export", "e",
               "--overwrite")[0] == 0
    assert json.loads((in_tmp / "e" / "tfreid.json").read_text())["run"] == "b"
    assert sorted(p.name for p in in_tmp.iterdir() if p.name.startswith(".")) == []


@pytest.mark.slow
def test_failed_export_keeps_the_trained_run(in_tmp, tiny_dataset, capsys, monkeypatch):
    from tfreid.training import engine as run_module

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system", "exports/x")

    with monkeypatch.context() as patched:
        patched.setattr(run_module, "export_saved_model", read_only)
        status, out = run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "x")
    line = the_error_line(out.err)
    assert status == 2 and "Read-only file system" in line
    assert line.endswith("export it again by rerunning the same command, or with: tfreid "
                         "export logs/x --float-only --out exports/x")
    results = json.loads((in_tmp / "logs" / "x" / "results.json").read_text())
    assert results["test"]["num_queries"] == 4 and results["export"] is None
    assert json.loads((in_tmp / "logs" / "x" / "run.json").read_text())["status"] == "finished"
    status, out = run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "x")  # the same again
    assert status == 0 and out.err == ""
    assert out.out.startswith("run x has finished already; exporting it to exports/x\n")
    assert "Epoch" not in out.out and "epoch 1/" not in out.out
    assert json.loads((in_tmp / "logs" / "x" / "results.json").read_text()) == {
        **results, "export": "exports/x"}
    serve = tf.saved_model.load("exports/x").signatures["serving_default"]
    encoder = keras.models.load_model("logs/x/encoder.keras", compile=False)
    images = np.random.default_rng(0).integers(0, 255, (3, 40, 40, 3), dtype=np.uint8)
    assert_float32_close(serve(images=tf.constant(images))["embeddings"].numpy(),
                         encoder(images).numpy(), *network_terms(encoder))


def test_full_disk_while_checkpointing_is_one_line(in_tmp, tiny_dataset, capsys, monkeypatch):
    def full_disk(self, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"\x89HDF half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keras.Model, "save_weights", full_disk)
    status, out = run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "full")
    line = the_error_line(out.err)
    assert status == 2 and "cannot write checkpoint" in line and "No space left" in line
    checkpoints = in_tmp / "logs" / "full" / "checkpoints"
    assert not checkpoints.exists() or sorted(p.name for p in checkpoints.iterdir()) == []


@pytest.mark.slow
def test_export_of_an_empty_batch_is_empty(in_tmp, tiny_dataset, capsys):
    from tfreid.export.embedding import embed_with_export

    assert run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "e")[0] == 0
    serve = tf.saved_model.load("exports/e").signatures["serving_default"]
    assert serve(images=tf.zeros([0, 7, 9, 3], tf.uint8))["embeddings"].shape == (0, 16)
    assert embed_with_export("exports/e", np.zeros((0, 40, 40, 3), np.uint8)).shape == (0, 16)


@pytest.mark.slow
def test_triplet_training_skips_one_image_identities_with_one_warning(in_tmp, tiny_dataset,
                                                                      capsys):
    dataset = dataset_with_lonely_identity(in_tmp, tiny_dataset)
    status = triplet_main(["--dataset", str(dataset), "--epochs", "1", "--num-triplets", "16",
                           "--image-size", "40", "--embedding-dim", "8", "--batch-size", "8"])
    err = capsys.readouterr().err
    assert status == 0
    assert [line for line in err.splitlines() if line.strip()] == [
        "warning: skipping 1 identities with one image in split 'train' (first: 999): a "
        "positive needs two"]


def test_same_run_name_twice_at_once_is_refused(in_tmp, tiny_dataset, capsys):
    folder = in_tmp / "logs" / "busy"
    folder.mkdir(parents=True)
    with exclusive_lock(folder / ".lock"):
        status, out = run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "busy")
    assert status == 2
    assert "is being trained by another tfreid process" in the_error_line(out.err)


@pytest.mark.parametrize("name", ["a/../../b", "..", "../escape", ".hidden", "x/y"])
def test_run_names_are_single_path_components(in_tmp, tiny_dataset, capsys, name):
    status, out = run(capsys, *tiny_siamese(tiny_dataset), "--run-name", name)
    assert status == 2 and "must be one plain folder name" in the_error_line(out.err)
    assert not (in_tmp / "b").exists() and not (in_tmp.parent / "escape").exists()


@pytest.mark.slow
def test_finished_run_is_not_trained_again_under_its_name(in_tmp, tiny_dataset, capsys):
    assert run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "done")[0] == 0
    before = (in_tmp / "logs" / "done" / "results.json").read_text()
    (in_tmp / "logs" / "done-2").mkdir()  # taken: the refusal names a free run name
    refused = "error: run done in logs/done has finished already (see its results.json)"
    new_run = "; to train a new run, rerun with --run-name done-3"
    for extra, detail in ((), " and is exported to exports/done"), \
            (("--no-save-export",), ""), (("--lr", "0.01"), ", with other settings"):
        status, out = run(capsys, *tiny_siamese(tiny_dataset, *extra), "--run-name", "done")
        assert status == 2 and the_error_line(out.err) == refused + detail + new_run
    status, out = run(capsys, *tiny_siamese(tiny_dataset), "--logdir", "logs/done")
    assert status == 2 and the_error_line(out.err).endswith("rerun with --logdir logs/done-3")
    assert (in_tmp / "logs" / "done" / "results.json").read_text() == before


def test_unfinished_run_with_other_settings_is_refused(in_tmp, tiny_dataset, capsys,
                                                      monkeypatch):
    from tfreid.training import engine as run_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(run_module, "finish_run", interrupted)
        status, out = run(capsys, *tiny_siamese(tiny_dataset), "--run-name", "w")
    assert status == 130 and "rerun the same command to resume" in out.err
    status, out = run(capsys, *tiny_siamese(tiny_dataset, "--lr", "0.01"), "--run-name", "w")
    assert status == 2 and "other settings" in the_error_line(out.err)

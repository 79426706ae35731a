"""Every failure of a command is one ``error:`` line with exit status 2 (issue 9, cases 9,
10, 12, 13)."""

import json
import os
import resource

import numpy as np
import pytest

from tests.helpers import script, the_error_line, tiny_siamese
from tfreid.cli.errors import run_cli
from tfreid.cli.experiment import main as experiment_main
from tfreid.cli.main import main as tfreid_main
from tfreid.cli.make_tfrecords import main as make_tfrecords
from tfreid.cli.train_siamese import main as siamese_main
from tfreid.cli.train_triplet import main as triplet_main


@pytest.mark.parametrize("argv, message", [
    (["--seed", "-1"], "argument --seed: must be between 0 and 4294967295, got -1"),
    (["--seed", str(2**64)], "argument --seed: must be between 0 and 4294967295"),
    (["--width", "inf"], "argument --width: must be finite"),
    (["--margin", "nan"], "argument --margin: must be finite"),
    (["--margin", "inf"], "argument --margin: must be finite"),
    (["--image-size", "20000"], "image sides must lie in [1, 1024] px"),
    (["--epochs", "0"], "argument --epochs: must be >= 1"),
    (["--validation-fraction", "1"], "--val-fraction/--validation-fraction: must be finite"),
])
def test_bad_training_options(capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        siamese_main(argv)
    line = the_error_line(capsys.readouterr().err)
    assert stop.value.code == 2 and message in line


@pytest.mark.parametrize("argv, message", [
    (["folder", "src", "--out", "o", "--test-fraction", "1.5"], "--test-fraction: must be"),
    (["surfaces", "--images-per-shard", "0"], "--images-per-shard: must be >= 1"),
    (["surfaces", "--images-per-shard", "-1"], "--images-per-shard: must be >= 1"),
    (["surfaces", "--views", "0"], "--views: must be between 2 and 1000"),
])
def test_bad_import_options(capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        make_tfrecords(argv)
    assert stop.value.code == 2 and message in the_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("argv, message", [
    (["--study", "dim", "--values", "abc"], "study dim sweeps embedding_dim, a whole number; "
                                            "got 'abc'"),
    (["--study", "activation", "--values", "swish"], "study activation sweeps activation over"),
    (["--study", "lr", "--values", "nan"], "lr must be a finite number above 0"),
])
def test_bad_experiment_values(tmp_path, capsys, argv, message):
    assert experiment_main([*argv, "--out", str(tmp_path / "o")]) == 2
    assert message in the_error_line(capsys.readouterr().err)
    assert not (tmp_path / "o").exists()


def test_experiment_folds_below_two(capsys):
    with pytest.raises(SystemExit):
        experiment_main(["--study", "dim", "--folds", "0"])
    assert "--folds: must be >= 2" in the_error_line(capsys.readouterr().err)


def test_cf_npz_with_nan_identities(tmp_path, capsys):
    images = np.zeros((4, 8, 8, 3), np.uint8)
    ids = np.array([0.0, 1.0, np.nan, 1.0])
    np.savez(tmp_path / "f.npz", x=images, i=ids, tx=images, ti=ids, gx=images, gi=ids)
    assert make_tfrecords(["cf-npz", str(tmp_path / "f.npz"), "--out", str(tmp_path / "o")]) == 2
    assert "array 'i' must hold whole-number identities; found nan" in \
        the_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("manifest, message", [
    ({"splits": [["train"]]}, "'splits' must map split names to their shards"),
    ({"splits": {"train": {"files": [], "file_records": []}}}, "lacks num_images"),
])
def test_malformed_manifest(tmp_path, capsys, manifest, message):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "manifest.json").write_text(json.dumps(
        {"format": "tfreid-tfrecord/1", "name": "ds", "source": "x", **manifest}))
    assert siamese_main(["--dataset", str(tmp_path / "ds")]) == 2
    assert message in the_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("error, line", [
    (PermissionError(13, "Permission denied", "logs/x"), "error: Permission denied: logs/x"),
    (OSError(28, "No space left on device"), "error: the disk is full; free space and run "
                                              "again"),
    (OSError(28, "No space left on device", "d/.ds.partial-7-ab/x.tfrecord.tmp"),
     "error: the disk is full while writing d/ds/x.tfrecord; free space and run again"),
    (RuntimeError("Error in void faiss::write_index(...) at index_write.cpp:499: Error: 'ret == "
                  "(size * 4)' failed: write error in i/.idx.partial-7-ab/index.faiss: 3 != 9 "
                  "(No space left on device)"),
     "error: the disk is full while writing i/idx/index.faiss; free space and run again"),
    (FileExistsError(17, "File exists", "a"), "error: File exists: a"),
    (np.linalg.LinAlgError("SVD did not converge\nmore"), "error: LinAlgError: SVD did not "
                                                          "converge"),
    (MemoryError(), "error: out of memory; try a smaller --batch-size or --image-size"),
    (ValueError("{{function_node __wrapped__IteratorGetNext_output_types_1}} bad image"),
     "error: ValueError: bad image"),
])
def test_any_exception_is_one_line(capsys, error, line):
    def fail() -> int:
        raise error

    assert run_cli(fail) == 2
    assert the_error_line(capsys.readouterr().err) == line


def test_tensorflow_errors_lose_their_graph_fragments(capsys):
    from tfreid.backend import tf

    def fail() -> int:
        tf.io.decode_image(tf.constant(b"not an image"))
        return 0

    assert run_cli(fail) == 2
    line = the_error_line(capsys.readouterr().err)
    assert line.startswith("error: TensorFlow InvalidArgumentError: ") and "{{" not in line


def test_unwritable_output_paths(tmp_path, tiny_dataset, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("x")
    for option in ("--logdir", "--export"):
        status = siamese_main([*tiny_siamese(tiny_dataset), option, "a_file/sub"])
        assert status == 2 and "a_file" in the_error_line(capsys.readouterr().err)
    assert make_tfrecords(["surfaces", "--num-identities", "4", "--views", "2", "--out",
                           "a_file/ds"]) == 2
    assert "a_file" in the_error_line(capsys.readouterr().err)
    assert (tmp_path / "a_file").read_text() == "x"


@pytest.mark.slow
def test_file_size_limit_while_writing_a_dataset(tmp_path):
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    import subprocess
    import sys

    from tests.helpers import ROOT

    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_tfrecords.py"), "surfaces",
         "--num-identities", "8", "--views", "3", "--images-per-shard", "100", "--out", "ds"],
        cwd=tmp_path, capture_output=True, text=True, preexec_fn=limit, timeout=120)
    assert result.returncode == 2
    assert "File too large" in the_error_line(result.stderr)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_error_runs_print_no_tensorflow_noise(tmp_path):
    for level in ({}, {"TF_CPP_MIN_LOG_LEVEL": "2"}):
        result = script("train_siamese", "--dataset", "missing", cwd=tmp_path, env=level)
        assert result.returncode == 2
        assert result.stderr == "error: dataset directory missing does not exist\n"


def test_corrupt_image_in_a_shard_is_named(tmp_path, capsys):
    from tfreid.data import write_dataset
    from tfreid.data.records import ImageRecord

    good = ImageRecord(open_png(), 1, 0, "good.png", 8, 8)
    bad = ImageRecord(b"\x89PNG not really", 2, 0, "broken-ü.png", 8, 8)
    write_dataset(tmp_path / "ds", {"train": [good, good, bad, good], "query": [good],
                                    "gallery": [good]}, name="ds", source="test")
    assert triplet_main(["--dataset", str(tmp_path / "ds"), "--image-size", "40"]) == 2
    line = the_error_line(capsys.readouterr().err)
    assert "image broken-ü.png (record 2) does not decode" in line and "{{" not in line


def open_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(tmp_path, tiny_dataset, capsys):
    (tmp_path / "ro").mkdir(mode=0o555)
    status = siamese_main([*tiny_siamese(tiny_dataset), "--logdir", str(tmp_path / "ro" / "r")])
    assert status == 2 and "Permission denied" in the_error_line(capsys.readouterr().err)


def test_full_disk_while_writing_a_dataset_names_the_dataset(tmp_path, capsys, monkeypatch):
    from tfreid.backend import tf

    class FullDisk:  # TFRecordWriter on a full disk: TF's words, the shard's temporary name
        def __init__(self, path: str):
            self.path = path

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def write(self, record: bytes) -> None:
            raise tf.errors.ResourceExhaustedError(None, None, f"{self.path}; No space left on "
                                                               "device")

    monkeypatch.setattr(tf.io, "TFRecordWriter", FullDisk)
    out = tmp_path / "ds"
    assert make_tfrecords(["surfaces", "--num-identities", "4", "--views", "2", "--out",
                           str(out)]) == 2
    assert the_error_line(capsys.readouterr().err) == (
        f"error: the disk is full while writing dataset {out} "
        f"({out / 'train-00000-of-00001.tfrecord'}); free space and run again")
    assert list(tmp_path.iterdir()) == []


def test_search_image_in_a_missing_folder_names_the_folder(tmp_path, capsys, monkeypatch):
    from tfreid.retrieval import EmbeddingIndex

    monkeypatch.chdir(tmp_path)
    index = EmbeddingIndex(4)
    index.add(np.eye(4))
    index.save(tmp_path / "idx")  # the index is checked first
    assert tfreid_main(["search", "idx", "--image", "no/such/dir/r.png"]) == 2
    assert the_error_line(capsys.readouterr().err) == (
        "error: cannot write no/such/dir/r.png: the folder no/such/dir does not exist; create "
        "it or choose another path")


def test_damaged_index_and_model_are_named(tmp_path, capsys):
    from tfreid.retrieval import EmbeddingIndex

    index = EmbeddingIndex(4)
    index.add(np.eye(4))
    index.save(tmp_path / "idx")
    (tmp_path / "idx" / "manifest.json").write_text("{'dim': 4")
    assert tfreid_main(["search", str(tmp_path / "idx"), "--image", ""]) == 2
    line = the_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {tmp_path / 'idx' / 'manifest.json'} is damaged (not valid "
                           "JSON") and "build the index again with tfreid embed" in line
    (tmp_path / "m.tflite").write_bytes(b"half a model")
    assert tfreid_main(["evaluate", str(tmp_path / "m.tflite")]) == 2
    assert the_error_line(capsys.readouterr().err) == (
        f"error: {tmp_path / 'm.tflite'} is not a valid TFLite model (damaged, truncated, or "
        "not a .tflite file); export it again with tfreid export")

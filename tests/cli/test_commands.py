import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.helpers import ROOT
from tfreid.cli import main as tfreid_main
from tfreid.cli.make_tfrecords import main as make_tfrecords
from tfreid.data import load_split, read_manifest


def test_make_tfrecords_surfaces(tmp_path, capsys):
    out = tmp_path / "surfaces"
    status = make_tfrecords(["surfaces", "--num-identities", "6", "--views", "3",
                             "--out", str(out)])
    assert status == 0 and "wrote" in capsys.readouterr().out
    manifest = read_manifest(out)
    assert manifest["num_images"] == 18 and manifest["num_identities"] == 6
    assert "num_identities=6" in manifest["source"]


def test_make_tfrecords_folder_and_refusal_to_overwrite(tmp_path, capsys):
    for identity in range(5):
        for view in range(2):
            path = tmp_path / "src" / f"id{identity}" / f"{view}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((12, 10, 3), identity, np.uint8)).save(path)
    args = ["folder", str(tmp_path / "src"), "--out", str(tmp_path / "ds")]
    assert make_tfrecords(args) == 0
    assert read_manifest(tmp_path / "ds")["identity_names"]["0"] == "id0"
    capsys.readouterr()
    assert make_tfrecords(args) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path / 'ds'} already exists; use --overwrite to replace it")
    assert make_tfrecords([*args, "--overwrite"]) == 0


def test_make_tfrecords_missing_source(tmp_path, capsys):
    assert make_tfrecords(["market1501", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (tmp_path / "o").exists()


def test_console_script_dispatches(tmp_path, capsys):
    assert tfreid_main.main([]) == 2
    assert capsys.readouterr().err.startswith("error: choose one of: train, train-siamese")
    out = tmp_path / "s"
    assert tfreid_main.main(["make-tfrecords", "surfaces", "--num-identities", "4",
                             "--views", "2", "--out", str(out)]) == 0
    assert read_manifest(out)["num_images"] == 8


def test_tfreid_help_lists_commands_with_descriptions_and_version(capsys):
    assert tfreid_main.main(["-h"]) == 0
    out = capsys.readouterr().out
    for name in tfreid_main.COMMANDS:
        description = tfreid_main.COMMANDS.describe(name)
        assert description and f"  {name}" in out and description in out
    assert tfreid_main.main(["--version"]) == 0
    from tfreid import __version__

    assert capsys.readouterr().out == f"tfreid {__version__}\n"
    assert tfreid_main.main(["nonsense"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: unknown command 'nonsense'; choose from train, ")
    assert error.count("\n") == 1


HELP_WITHOUT_TENSORFLOW = """
import contextlib, io, sys
from tfreid.cli.main import COMMANDS, main
for command in COMMANDS:
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        try:
            main([command, "--help"])
        except SystemExit as stop:
            assert stop.code == 0, (command, stop.code)
    loaded = sorted(m for m in sys.modules
                    if m.split(".")[0] in ("tensorflow", "tf_keras", "keras"))
    print(command, "LOADED", loaded, "(default: 64)" in shown.getvalue())
"""


def test_help_of_every_command_loads_no_tensorflow_and_shows_defaults():
    # one process for all commands: TensorFlow loaded by any --help stays in sys.modules
    result = subprocess.run([sys.executable, "-c", HELP_WITHOUT_TENSORFLOW],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert set(lines) == set(tfreid_main.COMMANDS) and result.stderr == ""
    for command, line in lines.items():
        assert line.startswith("LOADED []"), (command, line)
        if command.startswith("train-s") or command in ("train", "train-triplet"):
            assert line.endswith("True"), command  # --image-size shows its default


def test_train_help_lists_methods_and_a_method_s_options(capsys):
    from tfreid.cli.train import main as train_main

    with pytest.raises(SystemExit):
        train_main(["--method", "batch", "--help"])
    out = capsys.readouterr().out
    assert "siamese: Siamese twin network" in out and "--memory-size" in out
    assert "--miner {all,hard,semihard,multi_similarity}" in out


def make_images(root, layout):
    for relative, value in layout.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((12, 10, 3), value, np.uint8)).save(path)


def test_list_importer_fixes_queries_cameras_and_names(tmp_path, capsys):
    names = ["alice", "bob", "carol"]
    rows = ["path,identity,camera,split"]
    layout = {}
    for i, name in enumerate(names):
        for camera in (1, 2):
            relative = f"cam{camera}/{name}.png"
            layout[relative] = 10 * i + camera
            split = "train" if name != "carol" else ("query" if camera == 1 else "gallery")
            rows.append(f"{relative},{name},{camera},{split}")
    make_images(tmp_path / "src", layout)
    (tmp_path / "src" / "list.csv").write_text("\n".join(rows) + "\n")
    assert make_tfrecords(["list", str(tmp_path / "src" / "list.csv"), "--out",
                           str(tmp_path / "ds")]) == 0
    manifest = read_manifest(tmp_path / "ds")
    assert manifest["identity_names"] == {"0": "alice", "1": "bob", "2": "carol"}
    query = load_split(tmp_path / "ds", "query", (12, 10))
    gallery = load_split(tmp_path / "ds", "gallery", (12, 10))
    assert query.identities.tolist() == [2] and query.cameras.tolist() == [1]
    assert gallery.cameras.tolist() == [2] and query.images.rows([0])[0, 0, 0, 0] == 21
    assert manifest["splits"]["train"]["num_images"] == 4


@pytest.mark.parametrize("row, message", [
    ("missing.png,alice,1,train", "line 2: .*missing.png does not exist"),
    ("cam1/a.png,alice,one,train", "line 2: camera must be a whole number"),
    ("cam1/a.png,alice,1,test", "line 2: split must be one of train, query, gallery"),
])
def test_list_importer_errors_name_the_line(tmp_path, capsys, row, message):
    make_images(tmp_path, {"cam1/a.png": 1})
    (tmp_path / "list.csv").write_text(f"path,identity,camera,split\n{row}\n")
    assert make_tfrecords(["list", str(tmp_path / "list.csv"), "--out", str(tmp_path / "o")]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_folder_importer_takes_cameras_from_a_file_name_pattern(tmp_path):
    layout = {f"id{i}/shot_c{camera}_{n}.png": i for i in range(4) for n, camera in
              enumerate((3, 7))}
    make_images(tmp_path / "src", layout)
    assert make_tfrecords(["folder", str(tmp_path / "src"), "--out", str(tmp_path / "ds"),
                           "--camera-pattern", r"_c(\d+)_"]) == 0
    cameras = {int(c) for split in ("train", "query", "gallery")
               for c in load_split(tmp_path / "ds", split, (12, 10)).cameras}
    assert cameras == {3, 7}


def test_import_progress_knows_its_total(tmp_path):
    import argparse

    from tfreid.catalog import IMPORTERS

    make_images(tmp_path, {f"id{i}/{n}.png": i for i in range(3) for n in range(4)})
    (tmp_path / "id0" / "notes.txt").write_text("not an image")
    importer = IMPORTERS.get("folder")("folder")
    assert importer.total(argparse.Namespace(root=str(tmp_path))) == 12

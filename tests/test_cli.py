import numpy as np
from PIL import Image

from tfreid.cli import main as tfreid_main
from tfreid.cli.make_tfrecords import main as make_tfrecords
from tfreid.data import read_manifest


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
    assert "usage: tfreid" in capsys.readouterr().err
    out = tmp_path / "s"
    assert tfreid_main.main(["make-tfrecords", "surfaces", "--num-identities", "4",
                             "--views", "2", "--out", str(out)]) == 0
    assert read_manifest(out)["num_images"] == 8

"""TFREID_HOME: where tfreid keeps its default data, runs and exports (issue 20, item 4)."""

import json
from pathlib import Path

import pytest

from tests.helpers import tiny_siamese
from tfreid.cli.main import main
from tfreid.io.home import exports_root, logs_root, tfrecords_root, tfreid_home, under_home


def test_home_is_the_current_folder_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("TFREID_HOME", raising=False)
    assert (tfreid_home(), logs_root(), exports_root(), tfrecords_root()) == (
        Path("."), Path("logs"), Path("exports"), Path("tfrecords"))
    assert under_home("logs", "<run-name>") == "logs/<run-name>"
    monkeypatch.setenv("TFREID_HOME", "  ")  # blank: as if unset
    assert tfreid_home() == Path(".")
    monkeypatch.setenv("TFREID_HOME", str(tmp_path))  # read at each call
    assert (logs_root(), exports_root(), tfrecords_root()) == (
        tmp_path / "logs", tmp_path / "exports", tmp_path / "tfrecords")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TFREID_HOME", "~/reid")
    assert tfreid_home() == tmp_path / "reid"


def test_help_shows_the_home_it_will_use(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TFREID_HOME", str(tmp_path / "reid"))
    with pytest.raises(SystemExit):
        main(["train-siamese", "--help"])
    shown = "".join(capsys.readouterr().out.split())  # argparse wraps long paths anywhere
    for folder in ("logs/<run-name>", "exports/<run-name>", "tfrecords/surfaces"):
        assert f"(default:{tmp_path / 'reid' / folder}" in shown or \
            f"into{tmp_path / 'reid' / folder}" in shown, folder


def test_a_run_writes_its_folders_under_the_home(monkeypatch, tmp_path, tiny_dataset, capsys):
    home, elsewhere = tmp_path / "reid", tmp_path / "work"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("TFREID_HOME", str(home))
    argv = tiny_siamese(tiny_dataset, "--run-name", "at-home", epochs=1, steps=1)
    assert main(["train-siamese", *argv]) == 0
    assert json.loads((home / "logs" / "at-home" / "run.json").read_text())["status"] == \
        "finished"
    assert (home / "exports" / "at-home" / "saved_model.pb").is_file()
    assert list(elsewhere.iterdir()) == []  # nothing in the folder the user stands in
    assert f"{home / 'exports' / 'at-home'}" in capsys.readouterr().out


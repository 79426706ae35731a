"""Atomic files and folders, and cleaning up after dead processes (issue 9, cases 7, 19)."""

import errno
import json
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tfreid.errors import OutputError
from tfreid.io.atomic import atomic_directory, atomic_file, write_json
from tfreid.io.staging import OWNER_NAME, final_name, make_staging_dir, remove_stale_staging


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_atomic_file_replaces_only_on_success(tmp_path):
    target = tmp_path / "results.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_file(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_atomic_file_keeps_the_suffix_and_removes_a_dead_process_temporary(tmp_path):
    stale = tmp_path / f".encoder.tmp-{dead_pid()}-abcd.keras"
    stale.write_bytes(b"half a model")
    alive = tmp_path / f".encoder.tmp-{os.getpid()}-beef.keras"
    alive.write_bytes(b"another writer, still running")
    with atomic_file(tmp_path / "encoder.keras") as temporary:
        assert temporary.suffix == ".keras"
        temporary.write_bytes(b"model")
    assert not stale.exists() and alive.exists()


def test_stale_staging_of_dead_tfreid_processes_only_is_removed(tmp_path):
    final = tmp_path / "ds"
    dead, alive, other_host = (make_staging_dir(final, kind) for kind in ("partial", "partial",
                                                                           "old"))
    owner = json.loads((dead / OWNER_NAME).read_text())
    (dead / OWNER_NAME).write_text(json.dumps({**owner, "pid": dead_pid()}))
    (other_host / OWNER_NAME).write_text(json.dumps({**owner, "host": "elsewhere", "pid": 1}))
    foreign = tmp_path / ".ds.partial-123-user"  # looks like ours, but no owner record
    foreign.mkdir()
    (foreign / "data").write_text("someone's")
    assert remove_stale_staging(final) == [dead]
    assert alive.exists() and foreign.exists() and other_host.exists()


def test_a_new_write_cleans_what_a_killed_writer_left(tmp_path):
    code = (f"import os, sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from tfreid.io.atomic import atomic_directory\n"
            f"with atomic_directory({str(tmp_path / 'ds')!r}) as staging:\n"
            "    (staging / 'half').write_text('x'); os._exit(9)\n")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    assert len(list(tmp_path.glob(".ds.partial-*"))) == 1
    with atomic_directory(tmp_path / "ds") as staging:
        (staging / "whole").write_text("y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_folders_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "shared") as staging:
            (staging / "f").write_text("x")
        os.umask(0o077)
        with atomic_directory(tmp_path / "private") as staging:
            (staging / "f").write_text("x")
    finally:
        os.umask(previous)
    assert (tmp_path / "shared").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "private").stat().st_mode & 0o777 == 0o700


def test_existing_output_rules(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is not a folder"), \
            atomic_directory(tmp_path / "file", overwrite=True):
        pass
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "a").write_text("x")
    with pytest.raises(OutputError, match="tfreid did not write"), \
            atomic_directory(tmp_path / "theirs", overwrite=True):
        pass
    with atomic_directory(tmp_path / "ours") as staging:
        (staging / "v1").write_text("1")
    with pytest.raises(OutputError, match="use --overwrite"), atomic_directory(tmp_path / "ours"):
        pass
    with atomic_directory(tmp_path / "ours", overwrite=True) as staging:
        (staging / "v2").write_text("2")
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == [".tfreid-output", "v2"]
    assert (tmp_path / "theirs" / "a").read_text() == "x"


def test_atomic_file_errors_name_the_final_path_and_its_folder(tmp_path):
    target = tmp_path / "no" / "such" / "r.png"
    with pytest.raises(OutputError) as error, atomic_file(target):
        pass
    assert str(error.value) == (f"cannot write {target}: the folder {target.parent} does not "
                                "exist; create it or choose another path")
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(OutputError, match="a_file is not a folder; choose another path"):
        write_json(tmp_path / "a_file" / "r.json", {})


def test_a_full_disk_names_the_final_file_not_a_temporary_one(tmp_path):
    with pytest.raises(OutputError) as error, atomic_file(tmp_path / "r.json") as temporary:
        temporary.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert str(error.value) == (f"the disk is full while writing {tmp_path / 'r.json'}; free "
                                "space and run again")
    assert list(tmp_path.iterdir()) == []


def test_final_name_of_staging_and_temporary_paths():
    assert final_name("d/.ds.partial-6278-8c716a94/train-00000-of-00001.tfrecord.tmp") == \
        "d/ds/train-00000-of-00001.tfrecord"
    assert final_name("/a/.r.tmp-9956-ec79f5ba.png") == "/a/r.png"
    assert final_name("/a/.x.y.tmp-1-ab.json") == "/a/x.y.json"
    assert final_name("/a/.hidden/file") == "/a/.hidden/file"

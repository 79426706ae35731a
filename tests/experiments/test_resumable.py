"""One resumable loop for every sweep and study: rows on file are kept, missing ones made."""

import json
import os

import pytest

from tfreid.experiments.resumable import record_row, resumable_rows
from tfreid.io.jsonl import append_row, read_rows


def counting(calls, fail_at=None):
    def run_one(key):
        if key == fail_at:
            raise KeyboardInterrupt  # the study is killed while running this key
        calls.append(key)
        return {"score": len(key), "name": key.upper()}
    return run_one


def test_rows_on_file_are_restored_and_only_missing_keys_run(tmp_path):
    path, calls, heard = tmp_path / "study" / "results.jsonl", [], []
    rows = resumable_rows(["a", "bb"], counting(calls), path, progress=heard.append)
    assert calls == ["a", "bb"] and rows == [{"key": "a", "score": 1, "name": "A"},
                                             {"key": "bb", "score": 2, "name": "BB"}]
    assert [(h.key, h.number, h.todo, h.position, h.total, h.restored) for h in heard] == [
        ("a", 1, 2, 1, 2, False), ("bb", 2, 2, 2, 2, False)]
    heard.clear()
    again = resumable_rows(["ccc", "a", "bb"], counting(calls), path, progress=heard.append)
    assert calls == ["a", "bb", "ccc"]  # a and bb restored from the file, not run again
    assert again == [{"key": "ccc", "score": 3, "name": "CCC"}, *rows]
    assert [(h.key, h.number, h.todo, h.position, h.total) for h in heard] == [
        ("ccc", 1, 1, 1, 3)]
    assert resumable_rows(["bb"], counting(calls), path) == [rows[1]] and len(calls) == 3
    assert [r["key"] for r in read_rows(path)] == ["a", "bb", "ccc"]  # other keys stay


def test_a_finished_run_restores_its_lost_row_without_running(tmp_path):
    path, calls = tmp_path / "results.jsonl", []
    finished = {"b": {"score": 7}}
    rows = resumable_rows(["a", "b"], counting(calls), path, restore=finished.get)
    assert calls == ["a"] and rows[1] == {"key": "b", "score": 7}
    assert read_rows(path) == rows


def test_a_study_killed_between_rows_resumes_with_complete_rows(tmp_path):
    path, calls = tmp_path / "results.jsonl", []
    with pytest.raises(KeyboardInterrupt):
        resumable_rows(["a", "bb", "ccc"], counting(calls, fail_at="bb"), path)
    assert read_rows(path) == [{"key": "a", "score": 1, "name": "A"}]
    rows = resumable_rows(["a", "bb", "ccc"], counting(calls), path)
    assert calls == ["a", "bb", "ccc"] and [r["key"] for r in rows] == ["a", "bb", "ccc"]


def test_a_kill_while_recording_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "results.jsonl"
    record_row(path, "a", {"score": 1})
    before = path.read_bytes()

    def killed(source, target):
        raise KeyboardInterrupt  # after the new file is written, before it replaces the old

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        record_row(path, "bb", {"score": 2})
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["results.jsonl"]


def test_rows_files_written_line_by_line_before_resume(tmp_path):
    """The old writer appended a line per row; a kill could tear the last one."""
    path, calls = tmp_path / "results.jsonl", []
    append_row(path, {"key": "a", "score": 1.5, "history": {"loss": [1.0, 0.5]}})
    append_row(path, {"key": "bb", "score": 2})
    with path.open("ab") as handle:
        handle.write(json.dumps({"key": "ccc", "score": 3}).encode()[:9])  # torn by a kill
    with pytest.warns(UserWarning, match="dropping its incomplete last line 3"):
        rows = resumable_rows(["a", "bb", "ccc"], counting(calls), path)
    assert calls == ["ccc"]
    assert rows == [{"key": "a", "score": 1.5, "history": {"loss": [1.0, 0.5]}},
                    {"key": "bb", "score": 2}, {"key": "ccc", "score": 3, "name": "CCC"}]
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and [json.loads(line) for line in lines] == rows


def test_a_last_row_without_its_newline_still_counts(tmp_path):
    path, calls = tmp_path / "results.jsonl", []
    path.write_text(json.dumps({"key": "a", "score": 1}))  # complete, newline lost
    rows = resumable_rows(["a", "bb"], counting(calls), path)
    assert calls == ["bb"] and [r["key"] for r in rows] == ["a", "bb"]
    assert path.read_text().count("\n") == 2

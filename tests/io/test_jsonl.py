"""Result files survive a torn last line (issue 9, case 8)."""

import json

import pytest

from tfreid.errors import DataError
from tfreid.io.jsonl import append_row, read_rows


def test_torn_last_line_is_dropped_with_a_warning_and_the_file_mended(tmp_path):
    path = tmp_path / "results.jsonl"
    for value in range(3):
        append_row(path, {"key": value})
    path.write_bytes(path.read_bytes() + b'{"key": 3, "ran')  # disk full mid-write
    with pytest.warns(UserWarning, match="dropping its incomplete last line 4"):
        assert [row["key"] for row in read_rows(path)] == [0, 1, 2]
    append_row(path, {"key": 3})  # that row runs again
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == [0, 1, 2, 3]


def test_corrupt_line_in_the_middle_stops(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"key": 0}\n{broken\n{"key": 2}\n')
    with pytest.raises(DataError, match="line 2 is not JSON; fix or remove it"):
        read_rows(path)
    assert path.read_text() == '{"key": 0}\n{broken\n{"key": 2}\n'


def test_complete_last_line_without_newline_is_kept(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"key": 0}\n{"key": 1}')
    assert [row["key"] for row in read_rows(path)] == [0, 1]
    append_row(path, {"key": 2})
    assert [row["key"] for row in read_rows(path)] == [0, 1, 2]

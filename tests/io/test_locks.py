"""exclusive_lock / is_locked: one holder at a time, and no lock file left behind."""

import threading
import time

import pytest

from tfreid.errors import OutputError
from tfreid.io.locks import exclusive_lock, is_locked


def test_the_lock_file_does_not_outlive_the_lock(tmp_path):
    path = tmp_path / ".lock"
    with exclusive_lock(path):
        assert path.exists() and is_locked(path)
        with pytest.raises(OutputError, match="in use by another tfreid process"), \
                exclusive_lock(path, wait=False):
            pass
    assert not path.exists() and not is_locked(path)
    with pytest.raises(RuntimeError), exclusive_lock(path):
        raise RuntimeError("a failing holder")
    assert not path.exists()


def test_a_waiting_holder_locks_the_path_afresh_after_the_removal(tmp_path):
    path = tmp_path / ".lock"
    held = []

    def second():
        with exclusive_lock(path):
            held.append(path.exists() and is_locked(path))

    with exclusive_lock(path):
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.2)
        assert not held  # still waiting
    waiter.join(10)
    assert held == [True] and not path.exists()


def test_a_lock_file_that_is_no_longer_ours_is_left_alone(tmp_path):
    path = tmp_path / ".lock"
    with exclusive_lock(path):
        path.unlink()
        path.write_text("someone else's")
    assert path.read_text() == "someone else's"

"""cross_replica_concat and synchronised batch norm on 2 logical CPU devices."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.tolerances import float32_tolerance
from tfreid.distribute.cross_replica import cross_replica_concat, replicas_in_sync

# replicas against one device
pytestmark = [pytest.mark.numeric, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def checks():
    done = subprocess.run([sys.executable, "-m", "tests.distribute.replica_units"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("method", ["all_gather", "all_reduce"])
def test_every_replica_gets_all_rows_in_replica_order(checks, method):
    result = checks[method]
    expected = [[1.0, 1.0]] * 3 + [[2.0, 2.0]] * 3  # replica r's rows are all r + 1
    assert result["rows"] == [expected, expected]
    assert result["offsets"] == [0, 3]


@pytest.mark.parametrize("method", ["all_gather", "all_reduce"])
def test_gradient_reaches_each_replicas_own_rows_summed_over_replicas(checks, method):
    # value = sum(w * gathered) on each replica; d/d(own rows) sums the two replicas'
    # upstream gradients (both w) at this replica's rows: 2 * w[offset:offset + 3]
    weights = np.arange(12, dtype=np.float32).reshape(6, 2)
    grads = checks[method]["grads"]
    np.testing.assert_array_equal(grads[0], 2 * weights[:3])
    np.testing.assert_array_equal(grads[1], 2 * weights[3:])


def test_synchronised_batch_norm_uses_the_global_batch(checks):
    # normalised outputs of 8 rows are at most sqrt(7) < 3; mean, variance and the division
    # each sum or round once more, over the 8 rows split between the replicas
    assert checks["bn_synchronized"]["max_difference"] < float32_tolerance(3.0, 8, steps=3)
    assert checks["bn_local"]["max_difference"] > 0.1


def test_outside_a_strategy_the_rows_are_the_batch_itself():
    from tfreid.backend import tf

    rows = tf.constant([[1.0], [2.0]])
    gathered, offset = cross_replica_concat(rows)
    assert gathered is rows and int(offset) == 0 and replicas_in_sync() == 1

"""Shared fixtures and the suite's parallel layout. TF_USE_LEGACY_KERAS must be set before
TensorFlow loads."""

import os
from importlib import metadata

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import pytest  # noqa: E402
from packaging.version import Version  # noqa: E402

from tfreid.data.default import make_surfaces  # noqa: E402
from tfreid.data.surfaces import SurfaceConfig  # noqa: E402

TINY_SURFACES = SurfaceConfig(num_identities=14, views_per_identity=4, image_size=96,
                              test_fraction=0.3, seed=3)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """A small generated surface dataset: 10 train identities, 4 held out."""
    out = tmp_path_factory.mktemp("data") / "tiny"
    make_surfaces(out, TINY_SURFACES)
    return out


LEARNABLE_SURFACES = SurfaceConfig(num_identities=48, views_per_identity=4, image_size=80,
                                   test_fraction=0.25, seed=5)


@pytest.fixture(scope="session")
def learnable_dataset(tmp_path_factory):
    """A surface dataset a small model learns from in seconds: 36 train identities, 12
    held out (12 queries against 36 gallery images; chance rank-1 is 3 / 36)."""
    out = tmp_path_factory.mktemp("data") / "learnable"
    make_surfaces(out, LEARNABLE_SURFACES)
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Under ``--dist loadgroup`` the tests of a module with a module-scoped fixture (a
    trained run, a compared set of replica runs) go to one worker, so the fixture is built
    once; the other tests are spread one by one. ``tryfirst``: xdist's worker reads the
    groups in its own hook of this name, which would otherwise run before this one (this
    conftest is loaded before the worker registers it) and see none."""
    for item in items:
        definitions = getattr(item, "_fixtureinfo", None)
        scopes = {defs[-1].scope for defs in definitions.name2fixturedefs.values()} \
            if definitions else set()
        if "module" in scopes:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))



def pytest_configure(config):
    """Stop where ``--dist loadgroup`` would silently not group: pytest-xdist <= 3.8 marks a
    group by renaming the test, which pytest 9.2 ignores (pytest-dev/pytest-xdist#1386), and
    every module fixture would then be built on both workers (a minute more)."""
    if config.getoption("dist", default="no") != "loadgroup":
        return
    xdist = Version(metadata.version("pytest-xdist"))
    if Version(pytest.__version__) >= Version("9.2") and xdist <= Version("3.8.0"):
        raise pytest.UsageError(f"--dist loadgroup does not group tests with pytest "
                                f"{pytest.__version__} and pytest-xdist {xdist}: install "
                                "setup.cfg's dev extra (pytest<9.2)")

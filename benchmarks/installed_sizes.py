"""Installed size of tfreid's dependencies: TensorFlow's core, each heavy candidate on top of
it, and tfreid as setup.cfg installs it, without and with each extra.

    python benchmarks/installed_sizes.py [--python python3.11] [--only NAME ...]

Every measurement is made in a fresh venv (``<python> -m venv``) under one temporary folder,
deleted at the end; nothing outside it is written (pip's own cache aside). The size is
``du -sk`` of the venv's site-packages minus that of an empty venv's, in MB (10**6 bytes).

``core``: tensorflow, tf-keras, tensorboard, numpy and pillow, as pinned in setup.cfg. Each
candidate (faiss-cpu, matplotlib, scikit-learn, tensorflow-model-optimization, the ``onnx``
extra) is installed into a copy of the core venv, with the core's requirements repeated so
that pip keeps them; its size is the difference from the core, and "pulled in" is what pip's
"Successfully installed" lists for that step (from ``pip list`` before and after): the new
distributions, and core ones whose version it changed. Candidates share dependencies
(scipy), so their sizes add up to more than they take together.

``tfreid``, ``tfreid[qat]``, ``tfreid[onnx]``, ``tfreid[qat,onnx]``: the project as setup.cfg
has it, installed from a copy of setup.cfg, pyproject.toml, README.md, LICENSE and tfreid/
into a fresh venv (whole size); "pulled in" is what it holds beyond the core venv.
"""

import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
CORE = [
    "tensorflow==2.21.0",
    "tf-keras==2.21.0",
    "tensorboard==2.21.0",
    "numpy>=2,<3",
    "pillow>=10",
]
CANDIDATES = {
    "faiss-cpu": ["faiss-cpu>=1.8"],
    "matplotlib": ["matplotlib>=3.8"],
    "scikit-learn": ["scikit-learn>=1.4"],
    "tfmot": ["tensorflow-model-optimization==0.8.1"],
    "onnx extra": ["tf2onnx>=1.17,<1.18", "onnx>=1.17", "onnxruntime>=1.20"],
}
# tfreid itself as setup.cfg has it: the core (install_requires) and with each extra
PROJECT_ROWS = {"tfreid": "", "tfreid[qat]": "[qat]", "tfreid[onnx]": "[onnx]",
                "tfreid[qat,onnx]": "[qat,onnx]"}
PROJECT_FILES = ["setup.cfg", "pyproject.toml", "README.md", "LICENSE", "tfreid"]


def du_kib(path: pathlib.Path) -> int:
    output = subprocess.run(["du", "-sk", str(path)], check=True, capture_output=True, text=True)
    return int(output.stdout.split()[0])


def site_packages(venv: pathlib.Path) -> pathlib.Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if len(found) != 1:
        raise RuntimeError(f"no single site-packages in {venv}: {found}")
    return found[0]


def make_venv(python: str, venv: pathlib.Path) -> None:
    subprocess.run([python, "-m", "venv", str(venv)], check=True)


def pip_install(venv: pathlib.Path, requirements: list[str]) -> None:
    command = [str(venv / "bin" / "python"), "-m", "pip", "install",
               "--disable-pip-version-check", "--no-input", *requirements]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise RuntimeError(f"pip install failed: {' '.join(requirements)}")


def installed(venv: pathlib.Path) -> dict[str, str]:
    """Name (normalised) -> version of every distribution in ``venv``."""
    command = [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json",
               "--disable-pip-version-check"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {re.sub(r"[-_.]+", "-", p["name"]).lower(): p["version"]
            for p in json.loads(output)}


def pulled_in(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What pip's "Successfully installed" lists: the new distributions, and those whose
    version changed (``name old->new``)."""
    return [name if name not in before else f"{name} {before[name]}->{version}"
            for name, version in sorted(after.items()) if before.get(name) != version]


def copy_project(target: pathlib.Path) -> pathlib.Path:
    target.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target / name)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="python3.11", help="interpreter for the venvs")
    parser.add_argument("--only", nargs="*", default=None,
                        help="measure only these rows (core is always measured)")
    args = parser.parse_args()
    wanted = set(args.only) if args.only is not None else None

    rows: list[tuple[str, int, list[str], float]] = []
    with tempfile.TemporaryDirectory(prefix="installed_sizes_") as temp:
        root = pathlib.Path(temp)
        empty = root / "empty"
        make_venv(args.python, empty)
        base = du_kib(site_packages(empty))

        started = time.perf_counter()
        core = root / "core"
        make_venv(args.python, core)
        pip_install(core, CORE)
        core_packages = installed(core)
        pulled = [f"{len(core_packages) - len(installed(empty))} packages"]
        core_kib = du_kib(site_packages(core)) - base
        rows.append(("core", core_kib, pulled, time.perf_counter() - started))
        print(f"measured core: {core_kib * 1024 / 1e6:.0f} MB", file=sys.stderr, flush=True)

        for name, requirements in CANDIDATES.items():
            if wanted is not None and name not in wanted:
                continue
            started = time.perf_counter()
            venv = root / f"core+{name.replace(' ', '_')}"
            shutil.copytree(core, venv, symlinks=True)
            pip_install(venv, CORE + requirements)
            pulled = pulled_in(core_packages, installed(venv))
            kib = du_kib(site_packages(venv)) - base - core_kib
            rows.append((f"+ {name}", kib, pulled, time.perf_counter() - started))
            shutil.rmtree(venv)
            print(f"measured {name}: {kib * 1024 / 1e6:.0f} MB", file=sys.stderr, flush=True)

        for name, extras in PROJECT_ROWS.items():
            if wanted is not None and name not in wanted:
                continue
            started = time.perf_counter()
            project = root / "project"
            if not project.exists():
                copy_project(project)
            venv = root / "project_venv"
            make_venv(args.python, venv)
            pip_install(venv, [f"{project}{extras}"])
            pulled = pulled_in(core_packages, installed(venv))
            kib = du_kib(site_packages(venv)) - base
            rows.append((name, kib, pulled, time.perf_counter() - started))
            shutil.rmtree(venv)
            print(f"measured {name}: {kib * 1024 / 1e6:.0f} MB", file=sys.stderr, flush=True)

    core_mb = rows[0][1] * 1024 / 1e6
    print(f"{'name':<16} {'MB':>7} {'of core':>8} {'s':>5}  packages pulled in (beyond the core; "
          "a->b: the core's version changed)")
    for name, kib, pulled, seconds in rows:
        mb = kib * 1024 / 1e6
        print(f"{name:<16} {mb:>7.1f} {mb / core_mb:>7.0%} {seconds:>5.0f}  {', '.join(pulled)}")
    print(f"(sizes: du -sk of site-packages minus an empty venv's, {args.python}; "
          "1 MB = 10**6 bytes)")


if __name__ == "__main__":
    main()

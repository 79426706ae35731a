"""Helpers shared by the tests: running the scripts as a user does, small training settings."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def script(name: str, *args: str, cwd: Path, timeout: float = 180,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``scripts/<name>.py`` with ``args`` in ``cwd``, as a user would; its result."""
    return subprocess.run([sys.executable, str(ROOT / "scripts" / f"{name}.py"), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def start_script(name: str, *args: str, cwd: Path) -> subprocess.Popen:
    """Start ``scripts/<name>.py`` without waiting (stdout and stderr piped)."""
    return subprocess.Popen([sys.executable, str(ROOT / "scripts" / f"{name}.py"), *args],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def the_error_line(stderr: str) -> str:
    """The one line of ``stderr``, which must be a single ``error: ...`` line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def file_times(folder: Path) -> dict[str, int]:
    """Every file and folder under ``folder`` with its modification time (ns): unchanged
    times show that nothing there was written again."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def tiny_siamese(dataset: Path, *extra: str, epochs: int = 2, steps: int = 2) -> list[str]:
    """``train_siamese`` options for a run of seconds on the tiny test dataset."""
    return ["--dataset", str(dataset), "--epochs", str(epochs), "--steps-per-epoch", str(steps),
            "--batch-size", "8", "--image-size", "40", "--embedding-dim", "16", *extra]


def dataset_with_lonely_identity(tmp_path: Path, tiny_dataset: Path) -> Path:
    """A dataset whose train split holds identity 999 with a single image."""
    from PIL import Image

    from tfreid.data import load_split, read_manifest, write_dataset
    from tfreid.data.importers.base import read_record

    image = tmp_path / "img.jpg"
    Image.fromarray(load_split(tiny_dataset, "train", (32, 32)).images.rows([0])[0]).save(image)
    train_ids = read_manifest(tiny_dataset)["splits"]["train"]["identities"]
    records = [read_record(image, identity=i, camera=c) for i in train_ids[:5] for c in range(2)]
    lonely = read_record(image, identity=999, camera=0)
    write_dataset(tmp_path / "lonely", {"train": [*records, lonely], "query": records[:1],
                                        "gallery": records[1:]}, name="lonely", source="test")
    return tmp_path / "lonely"


def projector_data(logdir, tensor_name: str):
    """(tensor, metadata text) of ``tensor_name`` as TensorBoard's projector plugin serves
    them for ``tensorboard --logdir logdir``: through its own routes, not our files."""
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.projector.projector_plugin import ProjectorPlugin
    from werkzeug.test import Client

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    plugin = ProjectorPlugin(base_plugin.TBContext(logdir=str(logdir), data_provider=provider))
    apps = plugin.get_plugin_apps()
    runs = Client(apps["/runs"]).get("/").get_json()
    for run in runs:
        config = Client(apps["/info"]).get(f"/?run={run}").get_json()
        if any(e["tensorName"] == tensor_name for e in config["embeddings"]):
            break
    else:
        raise AssertionError(f"no run of {logdir} has {tensor_name} in the projector: {runs}")
    shape = next(e["tensorShape"] for e in config["embeddings"]
                 if e["tensorName"] == tensor_name)
    query = f"/?run={run}&name={tensor_name}"
    tensor = np.frombuffer(Client(apps["/tensor"]).get(query).data, np.float32)
    metadata = Client(apps["/metadata"]).get(query).get_data(as_text=True)
    sprite = Client(apps["/sprite_image"]).get(query)
    assert sprite.status_code == 200 and sprite.data[:4] == b"\x89PNG"
    return tensor.reshape(shape), metadata


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Wait until ``path`` exists; fail if ``process`` ends first or ``timeout`` s pass."""
    started = time.time()
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.time() - started < timeout, f"{path} did not appear"
        time.sleep(0.02)

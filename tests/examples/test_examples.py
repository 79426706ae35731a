"""The scripts of examples/ run as a user runs them (``python examples/NAME.py``, in a fresh
process, from another folder) on their tiny default data, and do what docs/examples.md says:
the loss falls and the held-out score beats chance, the index is saved and searched, the
log folder holds the mAC / CF scalars, the correlation images and the Projector's files."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tfreid.metrics import evaluate_ranking, mean_absolute_correlation

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.slow


def run_example(name: str, cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def numbers(pattern: str, text: str) -> tuple[float, ...]:
    match = re.search(pattern, text)
    assert match, f"no line matching {pattern!r} in:\n{text}"
    return tuple(float(group) for group in match.groups())


def test_own_model_with_tfreid_loss(tmp_path):
    out = run_example("own_model_with_tfreid_loss.py", tmp_path)
    first, last = numbers(r"loss \(triplet_margin_loss\): first epoch ([\d.]+), last epoch "
                          r"([\d.]+)", out)
    assert last < 0.5 * first
    _, chance_map = numbers(r"held-out +chance: rank-1 ([\d.]+), mAP ([\d.]+)", out)
    _, untrained_map = numbers(r"held-out untrained: rank-1 ([\d.]+), mAP ([\d.]+)", out)
    rank1, trained_map = numbers(r"held-out +trained: rank-1 ([\d.]+), mAP ([\d.]+)", out)
    assert trained_map > chance_map + 0.2 and trained_map > untrained_map + 0.1
    assert rank1 >= 0.5  # chance: 5 of 50 gallery images match (0.1)
    assert list(tmp_path.iterdir()) == []  # nothing written into the current folder


def test_embed_and_search_folder_writes_searches_and_saves_an_index(tmp_path):
    out = run_example("embed_and_search_folder.py", tmp_path, "--out", str(tmp_path / "run"))
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["images", "index"]
    index = tmp_path / "run" / "index"
    assert {"manifest.json", "identities.npy", "metadata.jsonl"} <= {p.name for p in
                                                                      index.iterdir()}
    assert f"saved to {index}" in out
    assert "index: 36 gallery images of 12 identities, dim 32, cosine" in out
    hits = re.findall(r"^  \d\. distance [\d.]+  identity (\S+)  (match|-----)  (\S+)$", out,
                      re.MULTILINE)
    assert len(hits) == 4 * 3  # --show 4 queries, k 3
    for identity, _, file in hits:
        assert Path(file).is_file() and Path(file).parent.name == identity
    top1, chance = numbers(r"top-1 is a true match for \d+ of 12 queries \(([\d.]+); "
                           r"chance ([\d.]+)\)", out)
    assert chance == pytest.approx(3 / 36, abs=1e-3) and top1 >= 0.5


def test_embed_and_search_folder_reads_your_folder(tmp_path):
    rng = np.random.default_rng(0)
    for identity, colour in (("red", (200, 30, 30)), ("green", (30, 200, 30)),
                             ("blue", (30, 30, 200))):
        (tmp_path / "photos" / identity).mkdir(parents=True)
        for view in range(3):
            pixels = np.clip(np.array(colour) + rng.normal(0, 10, (40, 30, 3)), 0, 255)
            Image.fromarray(pixels.astype(np.uint8)).save(
                tmp_path / "photos" / identity / f"{view}.jpg")
    out = run_example("embed_and_search_folder.py", tmp_path, "--folder",
                      str(tmp_path / "photos"), "--out", str(tmp_path / "run"), "-k", "2")
    assert "index: 6 gallery images of 3 identities" in out
    assert not (tmp_path / "run" / "images").exists()  # the folder given, not a synthetic one
    assert numbers(r"top-1 is a true match for \d+ of 3 queries \(([\d.]+);", out) == (1.0,)


def test_correlation_and_projector_callbacks_write_tensorboard_logs(tmp_path):
    logdir = tmp_path / "logs"
    out = run_example("correlation_and_projector_callbacks.py", tmp_path, "--logdir",
                      str(logdir), "--epochs", "3")
    epochs = re.findall(r"^epoch (\d): loss [\d.]+ \| val rank-1 ([\d.]+), mAP ([\d.]+), "
                        r"mAC ([\d.]+), CF (\d+) of 32$", out, re.MULTILINE)
    assert [int(e[0]) for e in epochs] == [1, 2, 3]
    assert f"tensorboard --logdir {logdir}" in out

    validation = logdir / "validation"
    events = b"".join(p.read_bytes() for p in validation.glob("events.out.tfevents.*"))
    for tag in (b"epoch_mAC", b"epoch_CF", b"epoch_mAP", b"feature_correlation",
                b"ranked_results"):
        assert tag in events, tag
    assert list((logdir / "train").glob("events.out.tfevents.*"))

    config = (validation / "projector_config.pbtxt").read_text()
    for epoch in (1, 2, 3):
        name = f"epoch-{epoch}"
        assert f'tensor_name: "{name}"' in config
        vectors = np.loadtxt(validation / "projector" / f"{name}.tsv", ndmin=2)
        assert vectors.shape == (60, 32)  # 10 queries + 50 gallery images, 32-d
        labels = (validation / "projector" / f"{name}-metadata.tsv").read_text().splitlines()
        assert labels[0] == "identity\tsplit\tcamera" and len(labels) == 61
        with Image.open(validation / "projector" / f"{name}-sprite.png") as sprite:
            assert sprite.size[0] == sprite.size[1] >= 8 * 64
        # the printed scores, recomputed from the embeddings the Projector saved that epoch
        # (printed to 3 decimals; the .tsv text rounds the vectors)
        _, rank1, mean_ap, mac, _ = epochs[epoch - 1]
        rows = [line.split("\t") for line in labels[1:]]
        ids, cams = (np.array([int(row[i]) for row in rows]) for i in (0, 2))
        query = np.array([row[1] == "query" for row in rows])
        scores = evaluate_ranking(vectors[query], ids[query], vectors[~query], ids[~query],
                                  cams[query], cams[~query])
        assert scores["rank1"] == pytest.approx(float(rank1), abs=6e-4)
        assert scores["mAP"] == pytest.approx(float(mean_ap), abs=6e-4)
        assert mean_absolute_correlation(vectors) == pytest.approx(float(mac), abs=6e-4)

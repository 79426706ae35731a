"""tfreid embed / search / evaluate on an export and a small dataset, as a user runs them."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.helpers import the_error_line
from tests.tolerances import assert_float32_close, network_terms
from tfreid.backend import keras
from tfreid.cli.main import main
from tfreid.data import load_split
from tfreid.export.embedding import embed_with_export
from tfreid.export.saved_model import export_saved_model
from tfreid.metrics import evaluate_retrieval
from tfreid.models import table1_cnn
from tfreid.plots.ranked import GREEN, RED
from tfreid.retrieval.rerank import k_reciprocal_rerank


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    keras.utils.set_random_seed(3)
    path = tmp_path_factory.mktemp("export") / "model"
    export_saved_model(table1_cnn((40, 40, 3), 8, width=0.5), path)
    return path



def split(dataset, name):
    return load_split(dataset, name, (40, 40))


def test_embed_writes_embeddings_identities_and_files(tmp_path, export, tiny_dataset, capsys):
    out = tmp_path / "gallery.npz"
    assert main(["embed", str(export), "--dataset", str(tiny_dataset), "--out", str(out)]) == 0
    assert "written:" in capsys.readouterr().out
    gallery = split(tiny_dataset, "gallery")
    saved = np.load(out)
    # the same export, batched otherwise
    assert_float32_close(saved["embeddings"], embed_with_export(export, gallery.images),
                         *network_terms(table1_cnn((40, 40, 3), 8, width=0.5)))
    assert saved["identities"].tolist() == [str(i) for i in gallery.identities]
    assert saved["files"].tolist() == gallery.filenames.tolist()
    assert main(["embed", str(export), "--dataset", str(tiny_dataset), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "already exists; use --overwrite" in err


@pytest.mark.slow
def test_search_prints_the_top_k_and_draws_true_matches_green(tmp_path, export, tiny_dataset,
                                                              capsys):
    index = tmp_path / "index"
    assert main(["embed", str(export), "--dataset", str(tiny_dataset), "--index",
                 str(index)]) == 0
    capsys.readouterr()
    image = tmp_path / "ranked.png"
    assert main(["search", str(index), "--dataset", str(tiny_dataset), "-k", "3",
                 "--image", str(image)]) == 0
    lines = capsys.readouterr().out.splitlines()
    query, gallery = split(tiny_dataset, "query"), split(tiny_dataset, "gallery")
    q, g = embed_with_export(export, query.images), embed_with_export(export, gallery.images)
    nearest = np.argsort(np.linalg.norm(q[:, None] - g[None], axis=-1), axis=1)[:, :3]
    assert lines[0].split() == ["query", "rank", "distance", "identity", "match", "file"]
    assert lines[-1] == f"written: {image}"
    rows = [line.split() for line in lines[1:-1]]
    assert len(rows) == 3 * len(query.identities)
    first = rows[0]  # query file, rank 1, distance, identity, mark, gallery file
    assert first[1] == "1" and first[3] == str(gallery.identities[nearest[0, 0]])
    assert first[5] == gallery.filenames[nearest[0, 0]]
    assert first[4] == ("yes" if gallery.identities[nearest[0, 0]] == query.identities[0]
                        else "no")
    pixels = np.asarray(Image.open(image))
    hits = gallery.identities[nearest] == query.identities[:, None]
    for colour, expected in ((GREEN, hits.any()), (RED, (~hits).any())):
        assert (pixels == colour).all(axis=-1).any() == expected
    assert main(["search", str(index), "--dataset", str(tiny_dataset), "--image",
                 str(image)]) == 2
    assert "already exists; use --overwrite" in capsys.readouterr().err


def test_search_rerank_prints_the_top_k_of_the_reranked_distances(tmp_path, export,
                                                                 tiny_dataset, capsys):
    index = tmp_path / "index"
    assert main(["embed", str(export), "--dataset", str(tiny_dataset), "--index",
                 str(index)]) == 0
    capsys.readouterr()
    assert main(["search", str(index), "--dataset", str(tiny_dataset), "-k", "2", "--rerank",
                 "--image", ""]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    query, gallery = split(tiny_dataset, "query"), split(tiny_dataset, "gallery")
    dense = k_reciprocal_rerank(embed_with_export(export, query.images),
                                embed_with_export(export, gallery.images))
    nearest = np.argsort(dense, axis=1, kind="stable")[:, :2]
    assert [row[-1] for row in rows] == gallery.filenames[nearest[:len(rows) // 2]].reshape(
        -1).tolist()
    assert float(rows[0][2]) == pytest.approx(dense[0, nearest[0, 0]], abs=1e-4)


def test_search_with_image_files_reads_identities_from_market_names(tmp_path, export,
                                                                    tiny_dataset, capsys):
    gallery = split(tiny_dataset, "gallery")
    folder = tmp_path / "queries"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(gallery.images.rows([i])[0]).save(
            folder / f"{int(gallery.identities[i]):04d}_c9s1_000001_0{i}.png")
    index = tmp_path / "index"
    assert main(["embed", str(export), "--dataset", str(tiny_dataset), "--index", str(index),
                 "--kind", "int8"]) == 0
    capsys.readouterr()
    assert main(["search", str(index), "--images", str(folder), "-k", "1", "--image", ""]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    # each query is a gallery image itself: found at distance ~0, its own identity, a match
    assert [row[3] for row in rows] == [str(i) for i in gallery.identities[:2]]
    assert all(float(row[2]) < 0.05 and row[4] == "yes" for row in rows)


def test_evaluate_reports_what_evaluate_retrieval_computes(tmp_path, export, tiny_dataset,
                                                           capsys):
    out = tmp_path / "report.json"
    assert main(["evaluate", str(export), "--dataset", str(tiny_dataset), "--out",
                 str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    query, gallery = split(tiny_dataset, "query"), split(tiny_dataset, "gallery")
    expected = evaluate_retrieval(embed_with_export(export, query.images), query.identities,
                                  embed_with_export(export, gallery.images), gallery.identities,
                                  query.cameras, gallery.cameras)
    for name in ("rank1", "mAP", "map_at_r", "r_precision", "mrr", "recall_at_1", "nmi", "ami"):
        assert report[name] == pytest.approx(expected[name], abs=1e-6), name
    assert f"map_at_r        {report['map_at_r']:.4f}" in printed and "mAC" in report


@pytest.mark.parametrize("argv, message", [
    (["search", "/nonexistent/index"], "is not a tfreid index"),
    (["embed", "/nonexistent/model", "--out", "x.npz"], "neither a tfreid SavedModel"),
    (["embed", "m", "--out", "x.npz", "--index", "i"], "not allowed with argument"),
    (["evaluate", "m", "--metric", "hamming"], "invalid choice"),
])
def test_errors_are_one_line(capsys, argv, message):
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse's own errors (tfreid's parser: one line, status 2)
        status = stop.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_embed_calibrates_the_index_and_draws_its_curves(tmp_path, export, tiny_dataset,
                                                         capsys):
    index = tmp_path / "index"
    assert main(["embed", str(export), "--dataset", str(tiny_dataset), "--index", str(index),
                 "--calibrate-split", "query", "--target", "far", "--value", "0.2"]) == 0
    out = capsys.readouterr().out
    manifest = json.loads((index / "manifest.json").read_text())
    chosen = manifest["calibration"]
    assert chosen["target"] == "far" and chosen["far"] <= 0.2
    assert f"threshold {chosen['threshold']:.4f} (far 0.2)" in out
    curve = json.loads((index / "verification.json").read_text())["curve"]
    # the threshold is the largest of the curve whose false-accept rate stays within 0.2
    within = [t for t, far in zip(curve["threshold"], curve["far"], strict=True) if far <= 0.2]
    assert chosen["threshold"] == pytest.approx(max(within))
    assert (index / "verification.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["embed", str(export), "--images", str(tmp_path), "--index", str(tmp_path / "i"),
                 "--calibrate-split", "query"]) == 2
    assert "--calibrate-split needs --index and images from --dataset" in capsys.readouterr().err


def test_embed_refuses_ivfpq_settings_faiss_cannot_use_before_embedding(tmp_path, export,
                                                                        tiny_dataset, capsys):
    index = ["embed", str(export), "--dataset", str(tiny_dataset), "--index",
             str(tmp_path / "i"), "--kind", "ivfpq"]
    assert main([*index, "--pq-m", "3"]) == 2  # one line: no "embedded ..." progress before it
    assert the_error_line(capsys.readouterr().err) == (
        "error: --pq-m 3 does not divide the embedding dimension 8; choose one of 1, 2, 4, 8")
    count = len(split(tiny_dataset, "gallery").identities)
    assert main([*index, "--pq-m", "2", "--nlist", "1024"]) == 2
    assert the_error_line(capsys.readouterr().err) == (
        f"error: IVF-PQ with 1024 lists and 8-bit codes needs at least 1024 embeddings to "
        f"train, got {count}; use --nlist at most {count}, --pq-bits at most "
        f"{count.bit_length() - 1} or --kind flat")
    assert not (tmp_path / "i").exists()


def test_reading_commands_never_generate_the_default_dataset(tmp_path, export, tiny_dataset,
                                                             capsys, monkeypatch):
    import shutil

    index = tmp_path / "index"
    assert main(["embed", str(export), "--dataset", str(tiny_dataset), "--index",
                 str(index)]) == 0
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    capsys.readouterr()
    commands = (["evaluate", str(export)], ["embed", str(export), "--out", "x.npz"],
                ["search", str(index)], ["correlation-graph", str(export)])
    for home, where in ((None, "tfrecords/surfaces"),
                        (tmp_path / "home", f"{tmp_path / 'home/tfrecords/surfaces'}")):
        if home:
            monkeypatch.setenv("TFREID_HOME", str(home))
        for argv in commands:
            assert main(argv) == 2, argv
            images = "" if argv[0] in ("evaluate", "correlation-graph") else " (or --images PATH)"
            assert the_error_line(capsys.readouterr().err) == (
                f"error: no --dataset given and the default dataset {where} does not exist: "
                f"generate it with 'tfreid make-tfrecords surfaces', or give --dataset DIR{images}")
    monkeypatch.delenv("TFREID_HOME")
    assert list(work.iterdir()) == [] and not (tmp_path / "home").exists()  # nothing written
    shutil.copytree(tiny_dataset, work / "tfrecords" / "surfaces")
    assert main(["evaluate", str(export)]) == 2  # not the default set's generator settings
    assert "was made by an older tfreid: make it again with 'tfreid make-tfrecords surfaces " \
           "--overwrite'" in the_error_line(capsys.readouterr().err)
    source = json.loads((tiny_dataset / "manifest.json").read_text())["source"]
    monkeypatch.setattr("tfreid.data.default.surfaces_source", lambda config: source)
    assert main(["evaluate", str(export)]) == 0  # there: used as it is
    assert "tfrecords/surfaces" in capsys.readouterr().out
    assert sorted(p.name for p in (work / "tfrecords").iterdir()) == ["surfaces"]


def test_search_draws_a_picture_only_when_asked_and_checks_the_index_first(
        tmp_path, export, tiny_dataset, capsys, monkeypatch):
    index = tmp_path / "index"
    assert main(["embed", str(export), "--dataset", str(tiny_dataset), "--index",
                 str(index)]) == 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.png").write_bytes(b"not ours")
    capsys.readouterr()
    assert main(["search", "nothere", "--image", "taken.png"]) == 2
    assert "nothere is not a tfreid index" in the_error_line(capsys.readouterr().err)
    for _ in range(2):  # twice: no picture of its own to refuse the second time
        assert main(["search", str(index), "--dataset", str(tiny_dataset), "-k", "1",
                     "--rows", "1"]) == 0
        assert "written:" not in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index", "taken.png"]

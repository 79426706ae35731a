"""EmbeddingIndex: search against brute force, save / load round trips, approximate recall."""

import json

import numpy as np
import pytest

from tfreid.errors import ConfigError, DataError, OutputError
from tfreid.retrieval import EmbeddingIndex


def _distances_to(queries, gallery, metric):
    if metric == "cosine":  # 1 - q.g of unit vectors (int8 codes: of the decoded unit vectors)
        return 1.0 - queries @ gallery.T
    return np.linalg.norm(queries[:, None] - gallery[None], axis=-1)


def brute_force(queries, gallery, k, metric="euclidean"):
    distances = _distances_to(queries, gallery, metric)
    order = np.argsort(distances, axis=1)[:, :k]
    return np.take_along_axis(distances, order, 1), order


def clustered(n, dim=16, centres=20, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(centres, dim)) * 3
    labels = rng.integers(0, centres, n)
    return (means[labels] + rng.normal(size=(n, dim))).astype(np.float32), labels


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("kind", ["flat", "int8"])
def test_exact_search_equals_brute_force_and_survives_save_and_load(tmp_path, metric, kind):
    gallery, labels = clustered(300)
    queries, _ = clustered(25, seed=1)
    index = EmbeddingIndex(16, metric, kind, source="test")
    index.add(gallery[:200], labels[:200], [{"file": f"g{i}.png"} for i in range(200)])
    index.add(gallery[200:], labels[200:], [{"file": f"g{i}.png"} for i in range(200, 300)])
    result = index.search(queries, k=5)
    stored, searched = gallery.astype(np.float64), queries.astype(np.float64)
    if metric == "cosine":
        stored = stored / np.linalg.norm(stored, axis=1, keepdims=True)
        searched = searched / np.linalg.norm(searched, axis=1, keepdims=True)
    if kind == "int8":  # codes x scales; the queries are encoded with the gallery's scales
        from tfreid.compression.int8_storage import encode_int8
        stored = index._codes.astype(np.float64) * index._scales
        searched = encode_int8(searched.astype(np.float32), index._scales).decode().astype(
            np.float64)
    expected_d, expected_i = brute_force(searched, stored, 5, metric)
    np.testing.assert_allclose(result.distances, expected_d, rtol=1e-4, atol=1e-5)
    # the entries found lie at the distances reported (near-ties may swap in float32)
    own = np.take_along_axis(_distances_to(searched, stored, metric), result.indices, 1)
    np.testing.assert_allclose(own, result.distances, rtol=1e-4, atol=1e-5)
    assert (result.indices == expected_i).mean() > 0.95
    np.testing.assert_array_equal(result.identities, labels[result.indices])
    assert result.metadata[3][0] == {"file": f"g{result.indices[3, 0]}.png"}
    index.save(tmp_path / "index")
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["count"] == 300 and manifest["dim"] == 16 and manifest["kind"] == kind
    assert manifest["metric"] == metric and manifest["source"] == "test"
    again = EmbeddingIndex.load(tmp_path / "index").search(queries, k=5)
    np.testing.assert_array_equal(again.indices, result.indices)
    np.testing.assert_array_equal(again.distances, result.distances)
    assert again.metadata == result.metadata


def test_int8_index_stores_one_byte_a_dimension(tmp_path):
    gallery, labels = clustered(1000, dim=64)
    EmbeddingIndex(64, kind="int8").save(tmp_path / "empty")
    index = EmbeddingIndex(64, kind="int8")
    index.add(gallery, labels)
    index.save(tmp_path / "int8")
    flat = EmbeddingIndex(64)
    flat.add(gallery, labels)
    flat.save(tmp_path / "flat")
    assert (tmp_path / "int8" / "codes.npy").stat().st_size < 1000 * 64 + 1000
    assert (tmp_path / "flat" / "index.faiss").stat().st_size > 4 * 1000 * 64


@pytest.mark.slow
@pytest.mark.parametrize("kind, parameters, least", [
    ("hnsw", {"hnsw_m": 16, "ef_search": 128}, 0.97),  # measured 0.99
    ("ivfpq", {"nlist": 16, "nprobe": 16, "pq_m": 16, "pq_bits": 6}, 0.6),  # measured 0.71
])
def test_approximate_search_recall_against_exact(kind, parameters, least, tmp_path):
    gallery, labels = clustered(3000, dim=32, centres=40)
    queries, _ = clustered(100, dim=32, centres=40, seed=3)
    exact = EmbeddingIndex(32)
    exact.add(gallery, labels)
    approximate = EmbeddingIndex(32, kind=kind, **parameters)
    approximate.add(gallery, labels)
    truth = exact.search(queries, 10).indices
    found = approximate.search(queries, 10).indices
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found, strict=True)])
    print(f"{kind} recall@10 against exact: {recall:.3f}")
    assert recall >= least
    approximate.save(tmp_path / kind)
    np.testing.assert_array_equal(EmbeddingIndex.load(tmp_path / kind).search(queries, 10)
                                  .indices, found)


def test_string_identities_and_fewer_entries_than_k():
    index = EmbeddingIndex(2)
    index.add(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array(["anna", "bert"]))
    result = index.search(np.array([[0.0, 0.0]]), k=4)
    np.testing.assert_array_equal(result.indices, [[0, 1, -1, -1]])
    np.testing.assert_allclose(result.distances[0, :2], [0.0, 5.0])
    assert np.isinf(result.distances[0, 2:]).all()
    assert result.identities[0].tolist() == ["anna", "bert", "", ""]


def test_errors_and_refusals(tmp_path):
    with pytest.raises(ConfigError, match="unknown index kind"):
        EmbeddingIndex(4, kind="lsh")
    with pytest.raises(ConfigError, match="unknown index parameters"):
        EmbeddingIndex(4, nprobes=3)
    index = EmbeddingIndex(4)
    with pytest.raises(DataError, match="empty"):
        index.search(np.zeros((1, 4)))
    with pytest.raises(DataError, match="dim 4"):
        index.add(np.zeros((2, 3)))
    with pytest.raises(DataError, match="finite"):
        index.add(np.full((1, 4), np.nan))
    with pytest.raises(ConfigError, match="at least 256"):
        EmbeddingIndex(4, kind="ivfpq", nlist=4, pq_m=2).add(np.zeros((10, 4)))
    index.add(np.eye(4))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("a user's file")
    with pytest.raises(OutputError, match="already exists"):
        index.save(tmp_path / "mine")
    with pytest.raises(OutputError, match="did not write"):
        index.save(tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "a user's file"
    index.save(tmp_path / "ours")
    index.save(tmp_path / "ours", overwrite=True)
    with pytest.raises(DataError, match="not a tfreid index"):
        EmbeddingIndex.load(tmp_path / "mine")


def test_ivfpq_settings_faiss_cannot_use_are_named_before_faiss_runs():
    with pytest.raises(ConfigError) as error:
        EmbeddingIndex(100, kind="ivfpq", nlist=1024, pq_m=8)
    assert str(error.value) == ("--pq-m 8 does not divide the embedding dimension 100; choose "
                                "one of 1, 2, 4, 5, 10, 20, 25, 50, 100")
    index = EmbeddingIndex(100, kind="ivfpq", nlist=1024, pq_m=10)
    with pytest.raises(ConfigError) as error:
        index.add(np.zeros((300, 100)))
    assert str(error.value) == ("IVF-PQ with 1024 lists and 8-bit codes needs at least 1024 "
                                "embeddings to train, got 300; use --nlist at most 300 or "
                                "--kind flat")
    with pytest.raises(ConfigError, match="got 10; use --nlist at most 10, --pq-bits at most 3 "
                                          "or --kind flat"):
        index.check_training_size(10)
    EmbeddingIndex(100, kind="flat", pq_m=8).check_training_size(1)  # only ivfpq trains


def _saved(tmp_path, kind="flat"):
    index = EmbeddingIndex(8, kind=kind)
    index.add(np.random.default_rng(0).normal(size=(40, 8)), np.arange(40))
    return index.save(tmp_path / "idx")


@pytest.mark.parametrize("name, damage, reason", [
    ("manifest.json", lambda p: p.write_text("{'dim': 8"), "is damaged (not valid JSON: "
                                                           "Expecting property name"),
    ("manifest.json", lambda p: p.write_text('{"dim": 8}'), "is damaged (it lacks 'metric')"),
    ("index.faiss", lambda p: p.write_bytes(p.read_bytes()[:100]),
     "is damaged (faiss cannot read it: truncated, or not a faiss index)"),
    ("identities.npy", lambda p: p.write_bytes(p.read_bytes()[:90]), "is damaged (not a NumPy"),
    ("metadata.jsonl", lambda p: p.write_text("{\n"), "is damaged (not JSON lines"),
    ("metadata.jsonl", lambda p: p.write_text("{}\n"), "files disagree on the count "
                                                        "(manifest.json 40, identities.npy 40, "
                                                        "metadata.jsonl 1, index.faiss 40)"),
    ("identities.npy", lambda p: p.unlink(), "lacks identities.npy"),
])
def test_a_damaged_index_names_the_file_and_how_to_rebuild_it(tmp_path, name, damage, reason):
    folder = _saved(tmp_path)
    damage(folder / name)
    with pytest.raises(DataError) as error:
        EmbeddingIndex.load(folder)
    message = str(error.value)
    assert name in message and reason in message, message
    assert message.endswith(f"; build the index again with tfreid embed MODEL --index {folder} "
                            "--overwrite")


def test_a_full_disk_while_saving_names_the_index_and_leaves_nothing(tmp_path, monkeypatch):
    import faiss

    def full(index, path):
        open(path, "wb").close()
        raise RuntimeError(f"Error in void faiss::write_index at index_write.cpp:499: Error: "
                           f"'ret == (size * 4)' failed: write error in {path}: 3 != 512 (No "
                           "space left on device)")

    monkeypatch.setattr(faiss, "write_index", full)
    index = EmbeddingIndex(8)
    index.add(np.eye(8))
    with pytest.raises(OutputError) as error:
        index.save(tmp_path / "idx")
    idx = tmp_path / "idx"
    assert str(error.value) == (f"the disk is full while writing index {idx} "
                                f"({idx / 'index.faiss'}); free space and run again")
    assert list(tmp_path.iterdir()) == []

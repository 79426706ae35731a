"""Time and peak memory of k-reciprocal re-ranking: tfreid's (faiss neighbours, sparse V,
chunks of queries) against the reference algorithm (torchreid's and fast-reid's dense
``re_ranking``) in NumPy.

    python benchmarks/rerank_memory.py [--sizes 800x3000,3368x15913,3368x64000]
                                       [--dim 2048] [--identities 750] [--chunk-size 256]

Random clustered float32 features (``--identities`` centres, Gaussian noise: rank-1
0.68 and mAP 0.48 before re-ranking, 0.80 and 0.73 after, at 800 x 3,000), k1 = 20,
k2 = 6, lambda = 0.3. Each implementation runs in a fresh process, so its peak RSS
(``ru_maxrss``) is its own:

* ``tfreid``: ``iter_reranked_distances`` from the features, a chunk of queries at a
  time, each chunk scored and written to a file as it comes;
* ``reference``: the squared distances of all N = q + g points (float64, then float32:
  the N x N ``original_dist`` the reference builds from its three distance matrices),
  then ``re_ranking``'s steps as torchreid and fast-reid ship them (dense N x N
  normalised distances, their argsort, V and the expanded V), transcribed below. Where
  its estimated peak (28 N^2 bytes, ``REFERENCE_BYTES``) exceeds the memory available, it is
  not run, and the row says so.

Prints seconds (the reference's split into its distances and the re-ranking proper),
peak RSS and the memory added over the process with its data, each as a ratio of
tfreid's, and rank-1 / mAP (``tfreid.metrics``, ties against the query) of both, with the
largest difference between the two distance matrices.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

REFERENCE_BYTES = 28  # the reference's added RSS per N^2, with room (measured: 24.4 bytes
#                       at N = 3,800, 22.9 at N = 9,600)


def make_data(queries: int, gallery: int, dim: int, identities: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((identities, dim), dtype=np.float32)
    qid, gid = rng.integers(0, identities, queries), rng.integers(0, identities, gallery)
    noise = 1.61 * (dim / 128) ** 0.27  # 800 x 3,000: rank-1 0.68, mAP 0.48 before re-ranking
    q = centres[qid] + noise * rng.standard_normal((queries, dim), dtype=np.float32)
    g = centres[gid] + noise * rng.standard_normal((gallery, dim), dtype=np.float32)
    return q, qid, g, gid


def squared_distances(x: np.ndarray) -> np.ndarray:
    """||x_i - x_j||^2 of all pairs: float64 (centred), rounded to float32."""
    x = x.astype(np.float64) - x.mean(0, dtype=np.float64)
    norms = (x * x).sum(1)
    out = np.empty((len(x), len(x)), np.float32)
    for start in range(0, len(x), 1024):
        part = x[start:start + 1024]
        out[start:start + 1024] = np.maximum(norms[start:start + 1024, None] + norms[None]
                                             - 2.0 * part @ x.T, 0.0)
    return out


def reference_rerank(original_dist, query_num, k1=20, k2=6, lambda_value=0.3):
    """torchreid's / fast-reid's ``re_ranking`` after its first two lines (which build
    the squared distances ``original_dist`` from the three matrices it is given)."""
    original_dist = np.transpose(1. * original_dist / np.max(original_dist, axis=0))
    V = np.zeros_like(original_dist).astype(np.float32)  # noqa: N806 (the reference's names)
    initial_rank = np.argsort(original_dist).astype(np.int32)
    all_num = len(original_dist)
    half = int(np.around(k1 / 2.))
    for i in range(all_num):
        forward = initial_rank[i, :k1 + 1]
        backward = initial_rank[forward, :k1 + 1]
        k_reciprocal_index = forward[np.where(backward == i)[0]]
        expansion = k_reciprocal_index
        for candidate in k_reciprocal_index:
            candidate_forward = initial_rank[candidate, :half + 1]
            candidate_backward = initial_rank[candidate_forward, :half + 1]
            candidate_index = candidate_forward[np.where(candidate_backward == candidate)[0]]
            if len(np.intersect1d(candidate_index, k_reciprocal_index)) > 2. / 3 * len(
                    candidate_index):
                expansion = np.append(expansion, candidate_index)
        expansion = np.unique(expansion)
        weight = np.exp(-original_dist[i, expansion])
        V[i, expansion] = 1. * weight / np.sum(weight)
    original_dist = original_dist[:query_num, ]
    if k2 != 1:
        V_qe = np.zeros_like(V, dtype=np.float32)  # noqa: N806
        for i in range(all_num):
            V_qe[i, :] = np.mean(V[initial_rank[i, :k2], :], axis=0)
        V = V_qe  # noqa: N806
        del V_qe
    del initial_rank
    inv_index = [np.where(V[:, i] != 0)[0] for i in range(all_num)]
    jaccard_dist = np.zeros_like(original_dist, dtype=np.float32)
    for i in range(query_num):
        temp_min = np.zeros(shape=[1, all_num], dtype=np.float32)
        non_zero = np.where(V[i, :] != 0)[0]
        for j in non_zero:
            temp_min[0, inv_index[j]] = temp_min[0, inv_index[j]] + np.minimum(
                V[i, j], V[inv_index[j], j])
        jaccard_dist[i] = 1 - temp_min / (2. - temp_min)
    final_dist = jaccard_dist * (1 - lambda_value) + original_dist * lambda_value
    del original_dist, V, jaccard_dist
    return final_dist[:query_num, query_num:]


def ranks_of(distances: np.ndarray, qid: np.ndarray, gid: np.ndarray) -> list:
    from tfreid.metrics.ranking import match_ranks

    rows, cols = np.arange(len(qid))[:, None], np.arange(len(gid))[:, None]
    return match_ranks(rows, qid, cols, gid, metric=lambda a, b: distances[a[:, 0]])


def run_tfreid(q, qid, g, gid, out, chunk_size: int) -> tuple[dict, list]:
    from tfreid.retrieval.rerank import iter_reranked_distances

    chunks, ranks, seconds = iter_reranked_distances(q, g, chunk_size=chunk_size), [], 0.0
    while True:
        started = time.perf_counter()
        part, distances = next(chunks, (None, None))
        seconds += time.perf_counter() - started
        if part is None:
            return {"seconds": seconds}, ranks
        ranks += ranks_of(distances, qid[part], gid)
        out.write(distances.tobytes())


def run_reference(q, qid, g, gid, out) -> tuple[dict, list]:
    started = time.perf_counter()
    original_dist = squared_distances(np.concatenate([q, g]))
    middle = time.perf_counter()
    distances = reference_rerank(original_dist, len(q))
    del original_dist
    figures = {"seconds": time.perf_counter() - started, "distances_s": middle - started}
    out.write(distances.tobytes())
    return figures, ranks_of(distances, qid, gid)


def one(impl: str, queries: int, gallery: int, args, path: str) -> dict:
    from tfreid.metrics.ranking import scores_of_ranks

    q, qid, g, gid = make_data(queries, gallery, args.dim, args.identities)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(path, "wb") as out:
        figures, ranks = run_tfreid(q, qid, g, gid, out, args.chunk_size) if impl == "tfreid" \
            else run_reference(q, qid, g, gid, out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scores = scores_of_ranks(ranks, 20)
    return {**figures, "peak_mib": peak / 1024, "added_mib": (peak - base) / 1024,
            "rank1": float(scores["rank1"]), "mAP": float(scores["mAP"])}


def available_bytes() -> int:
    with open("/proc/meminfo") as info:
        fields = dict(line.split(":") for line in info)
    return int(fields["MemAvailable"].split()[0]) * 1024


def child(impl: str, queries: int, gallery: int, args, path: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--one", f"{impl}:{queries}:{gallery}:{path}",
         "--dim", str(args.dim), "--identities", str(args.identities),
         "--chunk-size", str(args.chunk_size)], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(
            os.path.abspath(__file__)), os.pardir)})
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def largest_difference(paths: dict, queries: int, gallery: int) -> float:
    a, b = (np.memmap(paths[impl], np.float32, "r", shape=(queries, gallery))
            for impl in ("tfreid", "reference"))
    return max(float(np.abs(a[s:s + 256] - b[s:s + 256]).max()) for s in range(0, queries, 256))


def compare(queries: int, gallery: int, args, folder: str) -> None:
    count = queries + gallery
    paths = {impl: os.path.join(folder, f"{impl}.f32") for impl in ("tfreid", "reference")}
    rows = {"tfreid": child("tfreid", queries, gallery, args, paths["tfreid"])}
    needed, free = REFERENCE_BYTES * count ** 2, available_bytes()
    if needed > 0.9 * free:
        print(f"{queries}x{gallery}: reference not run: its dense N x N matrices need about "
              f"{needed / 2**30:.0f} GiB (28 bytes x {count}^2), {free / 2**30:.0f} GiB free")
    else:
        rows["reference"] = child("reference", queries, gallery, args, paths["reference"])
    mine = rows["tfreid"]
    for impl, row in rows.items():
        if "error" in row:
            print(f"{queries}x{gallery} {impl:>9}: failed: {row['error']}")
            continue
        split = f" ({row['distances_s']:.1f} s distances)" if "distances_s" in row else ""
        ratios = [row[key] / mine[key] for key in ("seconds", "peak_mib", "added_mib")]
        print(f"{queries}x{gallery} {impl:>9} {row['seconds']:8.1f} s {row['peak_mib']:8.0f} "
              f"{row['added_mib']:8.0f} {ratios[0]:7.2f}x {ratios[1]:6.2f}x {ratios[2]:6.2f}x"
              f" {row['rank1']:.6f} {row['mAP']:.6f}{split}", flush=True)
    if "reference" in rows and "error" not in rows["reference"] and "error" not in mine:
        print(f"{queries}x{gallery}: largest |tfreid - reference| distance "
              f"{largest_difference(paths, queries, gallery):.2e}; |rank-1 difference| "
              f"{abs(mine['rank1'] - rows['reference']['rank1']):.1e}, |mAP difference| "
              f"{abs(mine['mAP'] - rows['reference']['mAP']):.1e}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="800x3000,3368x15913,3368x64000")
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--identities", type=int, default=750)
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        impl, queries, gallery, path = args.one.split(":", 3)
        print(json.dumps(one(impl, int(queries), int(gallery), args, path)))
        return
    print(f"{args.dim}-d features, {args.identities} identities, k1 20, k2 6, lambda 0.3; "
          "peak and added MiB of RSS, ratios: x tfreid")
    print(f"{'q x g':>11} {'impl':>9} {'seconds':>10} {'peak':>8} {'added':>8} {'time':>8} "
          f"{'peak':>7} {'added':>7} {'rank-1':>8} {'mAP':>8}")
    for size in args.sizes.split(","):
        queries, gallery = map(int, size.split("x"))
        with tempfile.TemporaryDirectory() as folder:
            compare(queries, gallery, args, folder)


if __name__ == "__main__":
    main()

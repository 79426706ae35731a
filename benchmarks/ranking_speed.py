"""Speed and memory of the re-id evaluator against torchreid's algorithm and a plain
match-rank loop, on the same distances.

    python benchmarks/ranking_speed.py [--queries 3368] [--galleries 15913,64000]
                                       [--dims 128,2048] [--impls tfreid,torchreid,...]

Random float32 embeddings of ``--identities`` identities over 6 cameras (a
Market-1501-like shape: 3,368 queries; 15,913 gallery entries in Market-1501's test
set), 5 % of the gallery distractors of an identity no query has, noisy enough for a
Market-like rank-1 and mAP. Every implementation computes its
own euclidean distances and scores CMC (rank 1-50) and mAP under the camera rule, in
a fresh process (peak RSS is its own):

* ``tfreid``: ``tfreid.metrics.evaluate_ranking`` (chunked: only the true matches are
  ranked, ``match_ranks``);
* ``torchreid``: the published algorithm of torchreid's ``eval_market1501`` (its
  Cython evaluator loops over queries the same way): the full (Q, G) distance
  matrix, ``argsort`` of every row, then the kept entries' cumulative matches,
  re-implemented here in NumPy since torchreid is not a dependency;
* ``match_rank``: per query, the valid non-match distances sorted and each
  match's rank counted with ``searchsorted`` on them, the full distance matrix
  computed first (the approach the issue measured).

Prints seconds and peak RSS of each, their ratios to tfreid, and checks that the
three give the same rank-1 and mAP (ties aside: random float data has none).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

IMPLEMENTATIONS = ("tfreid", "torchreid", "match_rank")
MAX_RANK = 50


def make_data(queries: int, gallery: int, dim: int, identities: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((identities + 1, dim), dtype=np.float32)
    qid = rng.integers(0, identities, queries)
    gid = np.concatenate([rng.integers(0, identities, gallery - gallery // 20),
                          np.full(gallery // 20, identities)])
    qcam, gcam = rng.integers(0, 6, queries), rng.integers(0, 6, gallery)
    noise = 1.4 * (dim / 128) ** 0.27  # rank-1 ~0.9 and mAP ~0.7-0.8 at 128-d and 2048-d
    q = centres[qid] + noise * rng.standard_normal((queries, dim), dtype=np.float32)
    g = centres[gid] + noise * rng.standard_normal((gallery, dim), dtype=np.float32)
    return q, qid, qcam, g, gid, gcam


def distance_matrix(q: np.ndarray, g: np.ndarray) -> np.ndarray:
    squared = (q * q).sum(1)[:, None] + (g * g).sum(1)[None, :] - 2.0 * q @ g.T
    return np.sqrt(np.maximum(squared, 0.0))


def torchreid_algorithm(q, qid, qcam, g, gid, gcam):
    """torchreid.metrics.rank.eval_market1501_py, line for line in NumPy."""
    distmat = distance_matrix(q, g)
    indices = np.argsort(distmat, axis=1)
    matches = (gid[indices] == qid[:, np.newaxis]).astype(np.int32)
    all_cmc, all_ap = [], []
    for q_idx in range(len(qid)):
        order = indices[q_idx]
        remove = (gid[order] == qid[q_idx]) & (gcam[order] == qcam[q_idx])
        raw_cmc = matches[q_idx][np.invert(remove)]
        if not np.any(raw_cmc):
            continue
        cmc = raw_cmc.cumsum()
        cmc[cmc > 1] = 1
        all_cmc.append(cmc[:MAX_RANK])
        num_rel = raw_cmc.sum()
        tmp_cmc = raw_cmc.cumsum() / (np.arange(len(raw_cmc)) + 1.0)
        all_ap.append((tmp_cmc * raw_cmc).sum() / num_rel)
    return float(np.mean(all_cmc, axis=0)[0]), float(np.mean(all_ap))


def match_rank_algorithm(q, qid, qcam, g, gid, gcam):
    distmat = distance_matrix(q, g)
    first, aps = [], []
    for row in range(len(qid)):
        same = gid == qid[row]
        good = same & (gcam != qcam[row])
        if not good.any():
            continue
        match_d = np.sort(distmat[row, good])
        others = np.sort(distmat[row, ~same])
        ranks = np.arange(1, len(match_d) + 1) + np.searchsorted(others, match_d, "right")
        first.append(ranks[0])
        aps.append(np.mean(np.arange(1, len(ranks) + 1) / ranks))
    return float(np.mean(np.array(first) == 1)), float(np.mean(aps))


def tfreid_evaluator(q, qid, qcam, g, gid, gcam):
    from tfreid.metrics import evaluate_ranking

    result = evaluate_ranking(q, qid, g, gid, qcam, gcam, max_rank=MAX_RANK)
    return result["rank1"], result["mAP"]


def one(impl: str, queries: int, gallery: int, dim: int, identities: int) -> dict:
    data = make_data(queries, gallery, dim, identities)
    function = {"tfreid": tfreid_evaluator, "torchreid": torchreid_algorithm,
                "match_rank": match_rank_algorithm}[impl]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rank1, mean_ap = function(*data)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mib": peak / 1024, "added_mib": (peak - base) / 1024,
            "rank1": rank1, "mAP": mean_ap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=3368)
    parser.add_argument("--galleries", default="15913,64000")
    parser.add_argument("--dims", default="128,2048")
    parser.add_argument("--identities", type=int, default=750)
    parser.add_argument("--impls", default=",".join(IMPLEMENTATIONS))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        impl, gallery, dim = args.one.split(":")
        print(json.dumps(one(impl, args.queries, int(gallery), int(dim), args.identities)))
        return
    print(f"{'gallery':>8} {'dim':>5} {'impl':>11} {'seconds':>8} {'peak MiB':>9} "
          f"{'added MiB':>9} {'x tfreid':>8} {'rank1':>7} {'mAP':>7}")
    for gallery in map(int, args.galleries.split(",")):
        for dim in map(int, args.dims.split(",")):
            rows = {}
            for impl in args.impls.split(","):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", f"{impl}:{gallery}:{dim}",
                     "--queries", str(args.queries), "--identities", str(args.identities)],
                    check=True, capture_output=True, text=True,
                    env={**os.environ, "PYTHONPATH": os.path.join(
                        os.path.dirname(os.path.abspath(__file__)), os.pardir)})
                rows[impl] = json.loads(out.stdout.strip().splitlines()[-1])
            base = rows.get("tfreid", next(iter(rows.values())))["seconds"]
            for impl, row in rows.items():
                print(f"{gallery:>8} {dim:>5} {impl:>11} {row['seconds']:>8.2f} "
                      f"{row['peak_mib']:>9.0f} {row['added_mib']:>9.0f} "
                      f"{row['seconds'] / base:>8.2f} {row['rank1']:>7.4f} {row['mAP']:>7.4f}",
                      flush=True)


if __name__ == "__main__":
    main()

"""Search speed of ``EmbeddingIndex`` against faiss used directly, and the approximate
kinds' recall against exact search.

    python benchmarks/index_search.py [--gallery 200000] [--queries 3368] [--dim 128]
                                      [--k 10] [--rounds 5] [--approximate]

Random clustered float32 embeddings. ``faiss``: ``IndexFlatL2.search`` on the
same vectors; ``tfreid``: ``EmbeddingIndex(kind="flat").search``, i.e. the same
faiss call plus the square root of the distances and the identities and metadata
of the results. Rounds alternate; medians and the ratio are printed. With
``--approximate``, the IVF-PQ, HNSW and int8 kinds are timed too, with their
recall@k against the exact neighbours.
"""

import argparse
import statistics
import time

import faiss
import numpy as np

from tfreid.retrieval import EmbeddingIndex


def make_data(gallery: int, queries: int, dim: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(2000, dim)).astype(np.float32) * 2
    labels = rng.integers(0, 2000, gallery + queries)
    vectors = centres[labels] + rng.normal(size=(gallery + queries, dim)).astype(np.float32)
    return vectors[:gallery], labels[:gallery], vectors[gallery:]


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gallery", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=3368)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--approximate", action="store_true")
    args = parser.parse_args()
    gallery, labels, queries = make_data(args.gallery, args.queries, args.dim)
    raw = faiss.IndexFlatL2(args.dim)
    raw.add(gallery)
    index = EmbeddingIndex(args.dim)
    index.add(gallery, labels, [{"row": i} for i in range(len(gallery))])
    print(f"{args.gallery} x {args.dim}-d gallery, {args.queries} queries, k = {args.k}, "
          f"{faiss.omp_get_max_threads()} faiss threads")
    seconds = {"faiss": [], "tfreid": []}
    for _ in range(args.rounds):
        t, (_, raw_rows) = timed(lambda: raw.search(queries, args.k))
        seconds["faiss"].append(t)
        t, result = timed(lambda: index.search(queries, args.k))
        seconds["tfreid"].append(t)
        assert np.array_equal(result.indices, raw_rows)
    faiss_s, tfreid_s = (statistics.median(seconds[n]) for n in ("faiss", "tfreid"))
    print(f"faiss IndexFlatL2.search   {faiss_s:7.3f} s  (rounds: "
          f"{', '.join(f'{s:.3f}' for s in seconds['faiss'])})")
    print(f"EmbeddingIndex.search      {tfreid_s:7.3f} s  (rounds: "
          f"{', '.join(f'{s:.3f}' for s in seconds['tfreid'])})")
    print(f"tfreid / faiss             {tfreid_s / faiss_s:7.3f}x  (same neighbours: yes)")
    if args.approximate:
        truth = result.indices
        for kind, parameters in (("ivfpq", {"nlist": 1024, "nprobe": 16, "pq_m": 16}),
                                 ("hnsw", {"hnsw_m": 32, "ef_search": 64}),
                                 ("int8", {})):
            approximate = EmbeddingIndex(args.dim, kind=kind, **parameters)
            build, _ = timed(lambda approximate=approximate: approximate.add(gallery, labels))
            t, found = timed(lambda approximate=approximate: approximate.search(queries,
                                                                               args.k))
            recall = np.mean([len(set(a) & set(b)) / args.k
                              for a, b in zip(truth, found.indices, strict=True)])
            print(f"{kind:<6} {parameters}: build {build:.1f} s, search {t:.3f} s "
                  f"({t / faiss_s:.2f}x exact), recall@{args.k} against exact {recall:.3f}")


if __name__ == "__main__":
    main()

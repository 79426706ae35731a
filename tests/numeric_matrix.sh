#!/usr/bin/env bash
# The order-sensitive tests (pytest -m numeric: replicas, workers, resume, streaming,
# determinism, mixed precision, exports and compression round trips) under each numeric
# setting that changes how float32 sums are taken: the CPU's widest kernels, AVX2, SSE4.1,
# oneDNN off (Eigen's kernels), one thread per op. Every variant must pass.
#
#   tests/numeric_matrix.sh                            # all five
#   tests/numeric_matrix.sh TF_ENABLE_ONEDNN_OPTS=0    # one (CI runs this one)
#   tests/numeric_matrix.sh default                    # the machine's own settings
#
# PYTHON (default .venv/bin/python) runs pytest; PYTEST_WORKERS (default 2) is pytest -n.
set -uo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
variants=("$@")
if [ ${#variants[@]} -eq 0 ]; then
  variants=(default ONEDNN_MAX_CPU_ISA=AVX2 ONEDNN_MAX_CPU_ISA=SSE41 TF_ENABLE_ONEDNN_OPTS=0
            TF_NUM_INTRAOP_THREADS=1)
fi
failed=()
for variant in "${variants[@]}"; do
  settings=()
  [ "$variant" = default ] || settings=("$variant")
  echo "== numeric tests, $variant"
  started=$SECONDS
  if ! env "${settings[@]}" "$python" -m pytest -q -m numeric -n "${PYTEST_WORKERS:-2}" \
      --dist loadgroup -p no:cacheprovider tests; then
    failed+=("$variant")
  fi
  echo "== $variant: $((SECONDS - started)) s"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "numeric tests failed under: ${failed[*]}"
  exit 1
fi
echo "numeric tests passed under: ${variants[*]}"

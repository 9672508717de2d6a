#!/usr/bin/env bash
# Run on a GPU machine, from the bundle made by scripts/gpu-bundle.sh (target/gpu-bundle/) or from a
# checkout where it was built: runs every standalone kernel harness (each validates its kernels
# against a CPU loop, bit for bit, then times them) and prints one line per kernel family.
# Exit code: 0 when every harness passed, 1 otherwise. Record the output in docs/gpu-results.md.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -d "$here/harness" ]; then harness_dir="$here/harness"; else harness_dir="$here/../target/gpu-bundle/harness"; fi
[ -d "$harness_dir" ] || { echo "gpu-check: no harness binaries (run scripts/gpu-bundle.sh on the build machine)" >&2; exit 1; }

echo "gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ)"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null \
  || echo "nvidia-smi not available"
failed=0
for h in "$harness_dir"/*; do
  [ -x "$h" ] || continue
  if ! "$h"; then
    echo "FAILED: $(basename "$h")"
    failed=1
  fi
done
echo "gpu-check: $([ $failed -eq 0 ] && echo "all harnesses passed" || echo "FAILURES above")"
# The Java @Tag("gpu") tests join here once the CUDA backend exists.
exit $failed

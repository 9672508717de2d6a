#!/usr/bin/env bash
# Run HERE (a machine with nvcc, Java and Maven, no GPU): builds and packs what scripts/gpu-check.sh
# needs on a lent GPU machine, which has a driver but no Java, Maven, nvcc or network, into the
# ignored folder target/gpu-bundle/ (carry it with the device tool's `carry`).
# Today the bundle holds the prebuilt standalone kernel harnesses and the fatbin; the jlink'd JRE and
# the Java GPU test jars join when the CUDA backend exists (issue "GPU backend I").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v nvcc >/dev/null 2>&1 || { echo "gpu-bundle: nvcc is needed to build the kernels" >&2; exit 1; }
mvn -q -B -ntp -DskipTests package
bundle=target/gpu-bundle
rm -rf "$bundle"
mkdir -p "$bundle/harness"
cp target/cuda-harness/* "$bundle/harness/"
cp target/classes/dev/nncompress/cuda/nncompress.fatbin "$bundle/"
cp scripts/gpu-check.sh "$bundle/"
echo "gpu-bundle: $bundle ($(du -sh "$bundle" | cut -f1)); on the GPU machine run: $bundle/gpu-check.sh"

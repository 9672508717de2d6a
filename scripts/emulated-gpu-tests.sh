#!/usr/bin/env bash
# Runs the gpu-tagged JUnit tests (the Java GPU path: backend/cuda through JCuda) on the emulated CUDA
# driver (target/emu-driver/libcuda.so.1, built by Maven with g++: our kernels on the CPU; see
# CudaEmulation and docs/architecture.md, "Emulated CUDA driver"). Needs a built project (scripts/test.sh
# calls it after verify). Tests that need cuDNN/cuBLAS skip, naming why. It proves logic, not speed.
# The training and distillation tests run at small sizes here (Gpu.smallSizes: 16x16 images, a few
# steps); --all runs them at their GPU sizes (minutes on 2 cores). Extra arguments go to Maven. Without
# the library (no g++) it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
lib="$PWD/target/emu-driver/libcuda.so.1"
if [ ! -f "$lib" ]; then
  echo "emulated-gpu-tests: no emulated CUDA driver ($lib; built only with g++): the Java GPU path did not run"
  exit 0
fi
sizes=()
if [ "${1:-}" = "--all" ]; then
  shift
  # at GPU sizes under emulation: CudaTrainingGpuTest ~90 s, CudaDistillationGpuTest ~50 s, VendorTrainingGpuTest ~190 s
  sizes=(-Dnncompress.emulation.fullSizes=true)
fi
start=$SECONDS
mvn -B -q -ntp surefire:test -Dgroups=gpu -Dnncompress.cuda.emulatedDriver="$lib" "${sizes[@]}" "$@"
echo "emulated-gpu-tests: passed in $((SECONDS - start)) s (reports: target/surefire-reports)"

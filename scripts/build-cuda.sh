#!/usr/bin/env bash
# Compiles cuda-kernels/ with nvcc (run by Maven in process-classes; usable by hand):
#   - every kernel family (cuda-kernels/*.cu) into ONE fatbin, SASS for sm_75/80/90 plus PTX
#     for newer GPUs, at CLASSES/dev/nncompress/cuda/nncompress.fatbin (a jar resource); headers
#     (cuda-kernels/*.cuh) hold what several families share and are not compiled on their own;
#   - every standalone harness (cuda-kernels/harness/*.cu) into a static binary in HARNESS_DIR.
# A kernel that does not compile fails the build. Without nvcc it says so and succeeds: the CUDA
# backend then reports the missing fatbin and the CPU backend runs.
# Usage: scripts/build-cuda.sh CLASSES_DIR HARNESS_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
classes=${1:?classes dir}
harness_dir=${2:?harness dir}

shopt -s nullglob
kernels=("$root"/cuda-kernels/*.cu)
headers=("$root"/cuda-kernels/*.cuh)
harnesses=("$root"/cuda-kernels/harness/*.cu)
[ ${#kernels[@]} -gt 0 ] || exit 0
sources="$classes/dev/nncompress/cuda/nncompress-kernels.cu"
mkdir -p "$(dirname "$sources")"
# the sources travel too, with or without nvcc: KernelSignatures parses their parameter lists to check
# every Java launch (on a GPU and under the emulated driver, scripts/build-emu-driver.sh); the headers
# with them, as parameter lists may use a header's macros (e.g. NNC_SC_GEO_PARAMS)
cat "${headers[@]}" "${kernels[@]}" > "$sources.tmp" && mv "$sources.tmp" "$sources"

if ! command -v nvcc >/dev/null 2>&1; then
  echo "build-cuda: nvcc not found; CUDA kernels not built (the GPU path runs only under the emulated driver)"
  exit 0
fi

# SASS for sm_75, sm_80 and sm_90 plus compute_90 PTX. A cubin runs on every later minor version of its
# major (sm_80's on sm_86 and sm_89 GPUs) and these kernels use no sm_86/sm_89-only feature, so their own SASS
# cost ~1/3 of the fatbin's ~2.6 min of nvcc CPU time in every build for no gain.
archs=()
for sm in 75 80 90; do archs+=(-gencode "arch=compute_$sm,code=sm_$sm"); done
archs+=(-gencode "arch=compute_90,code=compute_90")
# Harnesses run only on the lent GPU machines (sm_90): compute_80 PTX alone, JIT-compiled by the driver at
# first launch. It takes gemm_s8's cp.async/mma path (__CUDA_ARCH__ >= 800) as the fatbin's sm_90 code does,
# and costs ~1/4 of the nvcc time of SASS for sm_80 + sm_90 + compute_75 PTX (gemm_s8 harness: 12 s vs 46 s).
harness_archs=(-gencode "arch=compute_80,code=compute_80")

fatbin="$classes/dev/nncompress/cuda/nncompress.fatbin"
mkdir -p "$(dirname "$fatbin")" "$harness_dir"

# Rebuild only when a source is newer than the outputs (incremental Maven builds stay fast).
newest_src=$(ls -t "${kernels[@]}" "${headers[@]}" "${harnesses[@]}" "$root"/cuda-kernels/harness/*.h "$0" 2>/dev/null | head -n 1)
if [ -f "$fatbin" ] && [ "$fatbin" -nt "$newest_src" ]; then
  up_to_date=1
  for h in "${harnesses[@]}"; do
    [ "$harness_dir/$(basename "$h" .cu)" -nt "$newest_src" ] || up_to_date=0
  done
  [ $up_to_date -eq 1 ] && { echo "build-cuda: up to date"; exit 0; }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# one translation unit, so that all kernels live in one module loaded with cuModuleLoadData
for k in "${kernels[@]}"; do printf '#include "%s"\n' "$k" >> "$tmp/nncompress_kernels.cu"; done
nvcc --threads 0 -fatbin "${archs[@]}" -o "$tmp/nncompress.fatbin" "$tmp/nncompress_kernels.cu"
mv "$tmp/nncompress.fatbin" "$fatbin"
echo "build-cuda: $fatbin ($(stat -c %s "$fatbin") bytes, ${#kernels[@]} kernel files)"

# harnesses in parallel (each is one nvcc per architecture); any failure fails the build
pids=()
for h in "${harnesses[@]}"; do
  nvcc --threads 0 -O2 -cudart static "${harness_archs[@]}" -o "$tmp/$(basename "$h" .cu)" "$h" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || { echo "build-cuda: a harness failed to compile" >&2; exit 1; }; done
for h in "${harnesses[@]}"; do mv "$tmp/$(basename "$h" .cu)" "$harness_dir/"; done
[ ${#harnesses[@]} -eq 0 ] || echo "build-cuda: ${#harnesses[@]} harness binaries in $harness_dir"

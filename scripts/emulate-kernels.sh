#!/usr/bin/env bash
# Runs the validation part of every kernel harness that supports NNC_EMULATE on the CPU
# (cuda-kernels/emu/cuda_emu.h: blocks as threads, no GPU needed), so that a wrong index map, bound,
# barrier or result fails here and in CI, not first on a lent GPU. Builds each harness with g++ into
# target/cuda-emu/ (again only when a kernel, harness, the emulator or this script changed), with
# AddressSanitizer where g++ has it: device buffers are host allocations then, so a kernel reading or
# writing past one (or past a __shared__ array) fails loudly. Prints each harness's RESULT and validation lines; exits 1 when any
# harness fails or reports check=FAIL. Without g++ it says so and exits 0 (nothing to check with).
# NNC_EMU_SANITIZE=address (default) | thread | none: ThreadSanitizer reports a data race between the
# emulated threads, e.g. a missing __syncthreads before shared memory is overwritten, which the plain
# check can pass; it takes about 3 minutes on 2 cores, so it is not the default (run it when a
# kernel's synchronisation changes).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/target/cuda-emu"

if ! command -v g++ >/dev/null 2>&1; then
  echo "emulate-kernels: g++ not found, emulated kernel checks skipped"
  exit 0
fi
mkdir -p "$out"

mapfile -t harnesses < <(grep -l 'NNC_EMULATE' "$root"/cuda-kernels/harness/*.cu | sort)
if [ "${#harnesses[@]}" -eq 0 ]; then
  echo "emulate-kernels: no harness supports NNC_EMULATE"
  exit 0
fi

# -ffp-contract=off: no FMA contraction (default on e.g. aarch64), so that the twins' IEEE steps hold
flags=(-std=c++20 -O1 -ffp-contract=off -pthread -DNNC_EMULATE)
sanitizer=${NNC_EMU_SANITIZE:-address}
case "$sanitizer" in
  address|thread) ;;
  none|0) sanitizer= ;;
  *) echo "emulate-kernels: NNC_EMU_SANITIZE must be address, thread or none" >&2; exit 2 ;;
esac
if [ -n "$sanitizer" ] &&
   ! echo 'int main() { return 0; }' | g++ -fsanitize="$sanitizer" -x c++ - -o "$out/.sanitizer-probe" >/dev/null 2>&1; then
  echo "emulate-kernels: g++ has no -fsanitize=$sanitizer here, building without it"
  sanitizer=
fi
if [ -n "$sanitizer" ]; then
  flags+=(-fsanitize="$sanitizer" -fno-omit-frame-pointer)
  export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"  # harnesses exit without freeing
  export TSAN_OPTIONS="halt_on_error=1:${TSAN_OPTIONS:-}"  # the first race fails the harness
fi
flags_id=$(echo "${flags[*]}" | cksum | cut -d' ' -f1)

# Everything a harness binary depends on; the newest decides whether to rebuild.
newest=$(ls -t "$root"/cuda-kernels/*.cu "$root"/cuda-kernels/*.cuh "$root"/cuda-kernels/harness/*.cu "$root"/cuda-kernels/harness/*.h "$root"/cuda-kernels/emu/* "$0" | head -n 1)

build() {  # harness.cu -> $out/<name>-<flags id>, log in $out/<name>.build.log
  local src=$1 bin
  bin="$out/$(basename "$1" .cu)-$flags_id"
  if [ "$bin" -nt "$newest" ]; then return 0; fi
  g++ "${flags[@]}" -x c++ "$src" -o "$bin.tmp" >"$out/$(basename "$1" .cu).build.log" 2>&1 && mv "$bin.tmp" "$bin"
}

# two compilers at a time (the machines this runs on have 2+ cores)
failed=0
pids=()
for h in "${harnesses[@]}"; do
  build "$h" &
  pids+=($!)
  if [ "${#pids[@]}" -ge 2 ]; then wait "${pids[0]}" || true; pids=("${pids[@]:1}"); fi
done
wait

for h in "${harnesses[@]}"; do
  name=$(basename "$h" .cu)
  bin="$out/$name-$flags_id"
  if [ ! -x "$bin" ] || [ ! "$bin" -nt "$newest" ]; then
    echo "emulate-kernels: $name does not compile under NNC_EMULATE:"
    tail -n 30 "$out/$name.build.log"
    failed=1
    continue
  fi
  start=$SECONDS
  (cd "$out" && "$bin") >"$out/$name.out" 2>"$out/$name.err"
  rc=$?
  echo "== $name (emulated, $((SECONDS - start)) s, exit $rc)"
  grep -E '^RESULT |validation|^emulation |PASS|FAIL' "$out/$name.out"
  if [ "$rc" -ne 0 ] || grep -q 'check=FAIL' "$out/$name.out"; then
    echo "emulate-kernels: $name FAILED; its stderr:"
    head -n 30 "$out/$name.err"  # mismatch messages and sanitizer reports start there
    failed=1
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "emulate-kernels: FAILED"
  exit 1
fi
echo "emulate-kernels: all emulated kernel checks passed (${#harnesses[@]} harnesses)"

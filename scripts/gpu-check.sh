#!/usr/bin/env bash
# Run on a GPU machine from the bundle made by scripts/gpu-bundle.sh (target/gpu-bundle/gpu-check.sh),
# or from a checkout where the bundle was built (scripts/gpu-check.sh). Needs only the NVIDIA driver;
# uses python3, PyTorch and the cuBLAS/cuDNN wheels when present. In order:
#   1. the GPU, driver and CUDA version (nvidia-smi);
#   2. every standalone kernel harness (each validates its kernels against a CPU loop, then times them);
#   3. `nncompress info --devices` with the bundled runtime (what Java sees: devices, vendor libraries);
#   4. the @Tag("gpu") JUnit tests (kernels launched from Java against their CPU twins);
#   5. the vendor rows (VendorCheck): our gemm_f32 vs cuBLAS at 1024^3 and 4096^3, our im2col conv vs
#      cuDNN (teacher conv2, forward and backward), our pooling/ReLU/batch norm/softmax vs cuDNN, our
#      gemm_s8 (int32) vs cublasGemmEx int8 at 1024^3 and 4096^3, and per built-in model GPU-vs-CPU
#      agreement of two training steps and img/s with cuBLAS/cuDNN and with our kernels only;
#   6. the baselines torch._int_mm (cuBLASLt) at the int8 GEMM shapes, and torch fp32 matmul and the teacher's conv2
#      (float_torch.py) for the float targets;
# then one markdown table of every RESULT line, our best gemm_s8 per shape as a fraction of
# torch._int_mm, and the sparse conv speedup lines.
# Exit code: 0 when everything ran and passed, 1 on any failure, 2 when there is no usable GPU.
# To fit a device call's time limit or re-run one part: GPU_CHECK_STEPS="harness devices junit vendor torch"
# (the default: all) picks steps, GPU_CHECK_HARNESS='gemm*' picks harnesses by file-name glob.
# With $OUT set (the device tool brings back what is written there): $OUT/gpu-check.log, the whole
# output, $OUT/gpu-results.md, the table, and $OUT/junit/, the JUnit XML reports.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -d "$here/jre" ]; then bundle=$here; else bundle=$(cd "$here/.." && pwd)/target/gpu-bundle; fi

# Steps append here; the summary is built from these files after the last step.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.txt     # "source<TAB>RESULT line"
outcomes=$work/outcomes.txt   # "step<TAB>passed|FAILED|skipped|no GPU<TAB>detail"
speedups=$work/speedups.txt   # "source<TAB>any output line with speedup_vs_dense="
: > "$results"
: > "$speedups"
: > "$outcomes"

note() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$outcomes"; }
section() { printf '\n== %s\n' "$1"; }

# Runs a command, echoing its output, keeping its RESULT lines; returns its exit code.
run_capturing() {
  local source=$1; shift
  local log=$work/step.log rc
  "$@" > "$log" 2>&1
  rc=$?
  cat "$log"
  grep -E '^RESULT ' "$log" | sed "s/^/$source\t/" >> "$results"
  grep -F 'speedup_vs_dense=' "$log" | sed "s/^/$source\t/" >> "$speedups"
  return $rc
}

# The cuBLAS/cuDNN Python wheels put their libraries in site-packages/nvidia/*/lib.
wheel_library_dirs() {
  command -v python3 >/dev/null 2>&1 || return 0
  python3 - <<'EOF' 2>/dev/null
import glob, os
try:
    import nvidia
except ImportError:
    raise SystemExit(0)
# nvidia/<package>/lib (cuDNN, CUDA 12 wheels) and nvidia/<cuXX>/lib or one level deeper (CUDA 13 wheels)
for p in nvidia.__path__:
    for d in sorted(glob.glob(os.path.join(p, "*", "lib")) + glob.glob(os.path.join(p, "*", "*", "lib"))):
        if any(f.startswith("lib") and ".so" in f for f in os.listdir(d)):
            print(d)
EOF
}

check_gpu_info() {
  section "GPU"
  local dirs
  dirs=$(wheel_library_dirs | paste -sd: -)
  if [ -n "$dirs" ]; then
    export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "LD_LIBRARY_PATH += NVIDIA wheel libraries: ${dirs//:/ }"
  else
    echo "no NVIDIA Python wheels found (python3 -c 'import nvidia'): vendor libraries from the system paths only"
  fi
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv 2>&1
    nvidia-smi 2>/dev/null | grep -o 'CUDA Version: *[0-9.]*' | head -n 1
  else
    echo "nvidia-smi not found"
  fi
}

check_harnesses() {
  local h name rc
  for h in "$bundle"/harness/${GPU_CHECK_HARNESS:-*}; do
    if [ ! -f "$h" ] || [ ! -x "$h" ]; then continue; fi
    name=$(basename "$h")
    section "harness $name"
    run_capturing "$name" timeout 300 "$h"
    rc=$?
    case $rc in
      0) note "$name" passed "" ;;
      2) note "$name" "no GPU" "$(grep -m 1 . "$work/step.log")" ;;
      124) note "$name" FAILED "timed out after 300 s" ;;
      *) note "$name" FAILED "exit code $rc" ;;
    esac
  done
}

java_cmd() {
  mkdir -p "$bundle/tmp/javacpp"
  # temp files (JNI libraries unpacked from jars) stay inside the bundle: the machine's /tmp may be
  # small or not writable, and the bundle is thrown away with the machine
  "$bundle/jre/bin/java" "-Djava.io.tmpdir=$bundle/tmp" "-Dorg.bytedeco.javacpp.cachedir=$bundle/tmp/javacpp" "$@"
}

# Every bundled jar but the console launcher, which runs as -jar.
class_path() {
  local j cp=""
  for j in "$bundle"/lib/*.jar; do
    case $(basename "$j") in junit-platform-console-standalone-*) continue ;; esac
    cp="$cp${cp:+:}$j"
  done
  printf '%s' "$cp"
}

check_java_devices() {
  section "nncompress info --devices"
  local rc
  timeout 120 "$bundle/jre/bin/java" -version 2>&1 | head -n 1
  java_cmd -cp "$(class_path)" dev.nncompress.cli.Main info --devices 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then note "info --devices" passed ""; else note "info --devices" FAILED "exit code $rc"; fi
}

# A number from the console launcher's summary box, e.g. "[         3 tests successful      ]".
junit_count() { awk -v what="$1" '$0 ~ "tests " what " " {print $2; exit}' "$2"; }

check_junit() {
  section "JUnit @Tag(\"gpu\") tests"
  local consoles console log=$work/junit.log rc found ok failed aborted skipped
  consoles=("$bundle"/lib/junit-platform-console-standalone-*.jar)
  console=${consoles[0]}
  [ -f "$console" ] || { note junit FAILED "no JUnit console jar in $bundle/lib"; return; }
  # Only the GPU test jar is scanned (it holds nothing that needs ND4J); --fail-if-no-tests turns a
  # broken scan (e.g. a runtime without jdk.zipfs, which sees no class inside a jar) into a failure.
  mkdir -p "$bundle/tmp/javacpp"
  timeout 480 "$bundle/jre/bin/java" "-Djava.io.tmpdir=$bundle/tmp" "-Dorg.bytedeco.javacpp.cachedir=$bundle/tmp/javacpp" -jar "$console" execute \
    --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests \
    --class-path "$(class_path)" --scan-class-path "$bundle/lib/nncompress-gpu-tests.jar" \
    --include-tag gpu ${OUT:+--reports-dir "$OUT/junit"} > "$log" 2>&1
  rc=$?
  cat "$log"
  found=$(junit_count found "$log"); ok=$(junit_count successful "$log"); failed=$(junit_count failed "$log")
  aborted=$(junit_count aborted "$log"); skipped=$(junit_count skipped "$log")
  local detail="${found:-0} found: ${ok:-0} passed, ${failed:-0} failed, $(( ${aborted:-0} + ${skipped:-0} )) skipped"
  if [ $rc -ne 0 ] || [ "${failed:-0}" != 0 ] || [ "${found:-0}" = 0 ]; then
    note junit FAILED "$detail (exit code $rc)"
  elif [ "${aborted:-0}" != 0 ] || [ "${skipped:-0}" != 0 ]; then
    # a skip is right without a GPU and a failure with one: decided once the harnesses have spoken
    note junit skipped "$detail: $(grep -m 1 -o 'no GPU: .*' "$log" || echo 'see the log')"
  else
    note junit passed "$detail"
  fi
}

check_vendor() {
  section "vendor libraries vs our kernels (VendorCheck)"
  local rc
  mkdir -p "$bundle/tmp/javacpp"
  # timeout runs programs, not shell functions: java_cmd's flags spelled out
  run_capturing vendor timeout 420 "$bundle/jre/bin/java" "-Djava.io.tmpdir=$bundle/tmp" \
    "-Dorg.bytedeco.javacpp.cachedir=$bundle/tmp/javacpp" -cp "$(class_path)" dev.nncompress.tools.VendorCheck
  rc=$?
  case $rc in
    0) note vendor passed "$(grep -m 1 '^vendor route:' "$work/step.log")" ;;
    2) note vendor "no GPU" "$(grep -m 1 . "$work/step.log")" ;;
    124) note vendor FAILED "timed out after 420 s" ;;
    *) note vendor FAILED "exit code $rc" ;;
  esac
}

check_torch() {
  section "PyTorch baselines: torch._int_mm (cuBLASLt), fp32 matmul, teacher conv2"
  if ! command -v python3 >/dev/null 2>&1; then note torch_int_mm skipped "python3 not found"; echo "python3 not found"; return; fi
  [ -f "$bundle/gpu/int8_mm_torch.py" ] || { note torch_int_mm FAILED "$bundle/gpu/int8_mm_torch.py missing"; return; }
  torch_script torch_int_mm int8_mm_torch.py 300
  # fp32 matmul and the teacher's conv2, the references for our gemm_f32/cuBLAS and cuDNN rows
  torch_script torch_float float_torch.py 120
}

# torch_script NAME FILE SECONDS: one PyTorch baseline script of the bundle; exit 2 means torch or its GPU is missing.
torch_script() {
  local rc
  run_capturing torch timeout "$3" python3 "$bundle/gpu/$2"
  rc=$?
  case $rc in
    0) note "$1" passed "" ;;
    2) note "$1" skipped "$(tail -n 1 "$work/step.log")" ;;
    *) note "$1" FAILED "exit code $rc" ;;
  esac
}

# One markdown table of all RESULT lines, then the derived lines.
results_markdown() {
  echo "| source | name | shape | check | time_ms | rate | unit | peak_frac |"
  echo "|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{
    delete kv; n = split($2, f, " ")
    for (i = 2; i <= n; i++) { p = index(f[i], "="); if (p) kv[substr(f[i], 1, p - 1)] = substr(f[i], p + 1) }
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, kv["name"], kv["shape"], kv["check"], kv["time_ms"], kv["rate"], kv["unit"], kv["peak_frac"]
  }' "$results"
  echo
  # our int8 GEMM (any variant named *gemm_s8*, best passing one per shape) against torch._int_mm
  awk -F'\t' '
    function opsPerSecond(rate, unit) {
      if (unit == "TOPS") return rate * 1e12
      if (unit == "GFLOP/s" || unit == "GOP/s") return rate * 1e9
      if (unit == "TFLOP/s") return rate * 1e12
      return -1
    }
    {
      delete kv; n = split($2, f, " ")
      for (i = 2; i <= n; i++) { p = index(f[i], "="); if (p) kv[substr(f[i], 1, p - 1)] = substr(f[i], p + 1) }
      if (kv["check"] == "FAIL" || kv["rate"] == "-") next
      r = opsPerSecond(kv["rate"], kv["unit"]); if (r <= 0) next
      s = kv["shape"]
      if (kv["name"] == "torch_int_mm") { torch[s] = r; shapes[s] = 1 }
      else if (index(kv["name"], "gemm_s8") > 0 && r > best[s]) { best[s] = r; bestName[s] = kv["name"]; shapes[s] = 1 }
    }
    END {
      for (s in shapes) if ((s in torch) && (s in best))
        printf "%d\t- int8 GEMM %s: %s %.1f TOPS = %.2f x torch._int_mm (%.1f TOPS)\n", s + 0, s, bestName[s], best[s] / 1e12, best[s] / torch[s], torch[s] / 1e12
    }' "$results" | sort -n | cut -f2-
  # issue 9's float targets: our gemm_f32 >= 50% of cuBLAS at 4096^3, our cuDNN conv within 10% of PyTorch's
  awk -F'\t' '
    {
      delete kv; n = split($2, f, " ")
      for (i = 2; i <= n; i++) { p = index(f[i], "="); if (p) kv[substr(f[i], 1, p - 1)] = substr(f[i], p + 1) }
      if (kv["check"] == "FAIL" || kv["time_ms"] == "-") next
      ms[kv["name"] "@" kv["shape"]] = kv["time_ms"] + 0
    }
    function ratio(what, ours, theirs, target, s) {
      if (!(ours in ms) || !(theirs in ms)) return
      printf "- %s: %.2f x (%s %.3f ms vs %s %.3f ms; target >= %.2f: %s)\n", what, ms[theirs] / ms[ours], ours, ms[ours], theirs, ms[theirs],
        target, (ms[theirs] / ms[ours] >= target ? "met" : "missed")
    }
    END {
      ratio("own sgemm vs cuBLAS, 4096^3", "sgemm_own@4096x4096x4096", "sgemm_cublas@4096x4096x4096", 0.5)
      ratio("cuBLAS route vs torch matmul, 4096^3", "sgemm_cublas@4096x4096x4096", "torch_sgemm@4096x4096x4096", 0.9)
      ratio("cuDNN conv forward vs torch, teacher conv2", "conv_cudnn_fwd@64x32x28x28_k3_o64", "torch_conv_fwd@64x32x28x28_k3_o64", 0.9)
      ratio("cuDNN conv backward vs torch, teacher conv2", "conv_cudnn_bwd@64x32x28x28_k3_o64", "torch_conv_bwd@64x32x28x28_k3_o64", 0.9)
    }' "$results"
  # sparse conv speedups, as the harnesses print them
  awk -F'\t' '{sub(/^RESULT /, "", $2); printf "- %s: %s\n", $1, $2}' "$speedups"
}

main() {
  echo "gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) from $bundle"
  [ -f "$bundle/BUNDLE.txt" ] && head -n 2 "$bundle/BUNDLE.txt"
  # in case the copy to the GPU machine dropped the execute bits
  chmod -f u+x "$bundle"/jre/bin/* "$bundle"/jre/lib/jspawnhelper "$bundle"/harness/* "$bundle"/gpu/* 2>/dev/null
  [ -x "$bundle/jre/bin/java" ] || { echo "gpu-check: no bundle at $bundle (run scripts/gpu-bundle.sh on the build machine)"; return 1; }
  check_gpu_info
  local steps=" ${GPU_CHECK_STEPS:-harness devices junit vendor torch} "
  [[ $steps == *" harness "* ]] && check_harnesses
  [[ $steps == *" devices "* ]] && check_java_devices
  [[ $steps == *" junit "* ]] && check_junit
  [[ $steps == *" vendor "* ]] && check_vendor
  [[ $steps == *" torch "* ]] && check_torch

  # A usable GPU is one a harness ran on (exit 0 or 1); all of them answering "no CUDA device" means none.
  local gpu=0
  # without the harness step, the driver's own listing decides
  if [[ $steps != *" harness "* ]] && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then gpu=1; fi
  for h in "$bundle"/harness/*; do
    if awk -F'\t' -v n="$(basename "$h")" '$1 == n && $2 != "no GPU" {found = 1} END {exit !found}' "$outcomes"; then gpu=1; fi
  done
  if [ $gpu -eq 1 ] && awk -F'\t' '$1 == "junit" && $2 == "skipped" {f = 1} END {exit !f}' "$outcomes"; then
    sed -i 's/^junit\tskipped\t/junit\tFAILED\tskipped on a machine where the harnesses found a GPU: /' "$outcomes"
  fi

  section "summary"
  local table=$work/gpu-results.md
  {
    echo "### gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    if command -v nvidia-smi >/dev/null 2>&1; then
      echo "GPU: $(nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader 2>/dev/null | head -n 1)" \
        "($(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: *[0-9.]*' | head -n 1))"
    else
      echo "GPU: none (no nvidia-smi)"
    fi
    [ -f "$bundle/BUNDLE.txt" ] && echo "Bundle: $(sed -n 2p "$bundle/BUNDLE.txt")"
    echo
    echo "| step | outcome | detail |"
    echo "|---|---|---|"
    awk -F'\t' '{printf "| %s | %s | %s |\n", $1, $2, $3}' "$outcomes"
    echo
    results_markdown
  } > "$table"
  cat "$table"
  [ -n "${OUT:-}" ] && cp "$table" "$OUT/gpu-results.md"

  if awk -F'\t' '$2 == "FAILED" {f = 1} END {exit !f}' "$outcomes"; then
    echo "gpu-check: FAILED (see above)"; return 1
  fi
  if [ $gpu -eq 0 ]; then
    echo "gpu-check: no usable GPU (no harness found a CUDA device, nvidia-smi lists none); Java GPU tests skip"; return 2
  fi
  echo "gpu-check: all passed"
  return 0
}

if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  main "$@" 2>&1 | tee "$OUT/gpu-check.log"
  exit "${PIPESTATUS[0]}"
fi
main "$@"

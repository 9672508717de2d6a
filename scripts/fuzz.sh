#!/usr/bin/env bash
# Coverage-guided fuzzing of the file loaders with Jazzer (src/test/java/dev/nncompress/fuzz; docs/reliability.md,
# "Fuzzing"). Every build already runs the fuzz tests' committed seeds (regression mode); this script fuzzes.
#
#   scripts/fuzz.sh SECONDS [TARGET...]        fuzz each TARGET (default: all) for SECONDS, one JVM per target
#   scripts/fuzz.sh --ci SECONDS               every target in one JVM (allTargets) for SECONDS per target; CI's run
#   scripts/fuzz.sh --reproduce TARGET FILE    run one input once: a finding, or a file a JVM crash left behind
#   scripts/fuzz.sh --seeds                    regenerate the committed seed corpus (after a file-format change)
#
# Targets: floatModel sparseModel nmModel int8Model idxPair graphAttributes onnxModel npzFile npyPair imageFolder
# cifarBinary codedModel; allTargets is all of them behind one fuzz test (the input's last byte picks the target): one JVM start
# instead of eleven, so CI's
# few seconds per target go to fuzzing rather than to Maven's and Jazzer's start-up (docs/reliability.md).
# Jazzer runs one fuzz test per JVM, so each target is its own surefire run (execution fuzz-tests of the pom,
# 1 GiB heap). Output: target/fuzz-logs/TARGET.log (libFuzzer's), findings in target/fuzz-findings/TARGET/
# (crash-*, timeout-*: rerun with --reproduce, then add the fixed case as a regression test); when the JVM
# itself dies, the input it was running stays in target/fuzz-work/TARGET/. The corpus grows in .cifuzz-corpus/
# (git-ignored), so repeated runs continue where the last stopped.
# Environment: FUZZ_KEEP_GOING=N keeps fuzzing until N distinct findings (default 1: stop at the first);
# FUZZ_MEMORY_GB (default 8) caps the address space of each fuzz run, so that a decompression bomb in native
# memory fails there instead of taking the machine's memory. Exit status 1 when any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

declare -A CLASS=(
  [floatModel]=FloatModelFuzzTest [sparseModel]=SparseModelFuzzTest [nmModel]=NmModelFuzzTest
  [int8Model]=Int8ModelFuzzTest [idxPair]=IdxFuzzTest [graphAttributes]=GraphJsonFuzzTest [onnxModel]=OnnxModelFuzzTest
  [npzFile]=NpzFuzzTest [npyPair]=NpyPairFuzzTest [imageFolder]=ImageFolderFuzzTest [cifarBinary]=CifarFuzzTest
  [codedModel]=CodedModelFuzzTest [allTargets]=AllTargetsFuzzTest
)
ALL=(floatModel sparseModel nmModel int8Model idxPair graphAttributes onnxModel npzFile npyPair imageFolder cifarBinary codedModel)

usage() { sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# One surefire run of TARGET's fuzz test in fuzzing mode; extra libFuzzer arguments follow.
fuzz_jvm() {
  local target=$1; shift
  local cls=${CLASS[$target]:-}
  [ -n "$cls" ] || { echo "fuzz: unknown target '$target' (known: ${ALL[*]})" >&2; exit 2; }
  # an input running 30 s is a hang (the first one includes the backend's start-up); JUnit's @Timeout
  # would instead bound the whole fuzzing run, which is one JUnit invocation
  local args=(-Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-timeout=30) i=2
  for a in "$@"; do args+=("-Djazzer.internal.arg.$i=$a"); i=$((i + 1)); done
  # the cap covers Maven's JVM too: keep its heap small
  ( ulimit -v $(( ${FUZZ_MEMORY_GB:-8} * 1024 * 1024 ))
    JAZZER_FUZZ=1 MAVEN_OPTS="-Xmx256m -XX:ReservedCodeCacheSize=64m -XX:CompressedClassSpaceSize=128m" \
      mvn -B -q surefire:test@fuzz-tests -Dtest="$cls" -Djazzer.keep_going="${FUZZ_KEEP_GOING:-1}" \
      ${FUZZ_SECONDS:+-Djazzer.max_duration=${FUZZ_SECONDS}s} "${args[@]}" )
}

case "${1:-}" in
  --seeds)
    mvn -B -q test-compile
    mvn -B -q exec:java -Dexec.mainClass=dev.nncompress.fuzz.SeedCorpus -Dexec.classpathScope=test
    exit 0 ;;
  --reproduce)
    [ $# -eq 3 ] || usage
    mvn -B -q test-compile
    fuzz_jvm "$2" "$(realpath "$3")"
    exit $? ;;
  --ci)
    [ $# -eq 2 ] && [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || usage
    CI_SECONDS=$2
    set -- $(( $2 * ${#ALL[@]} )) allTargets ;;
  ''|-*) usage ;;
esac

SECONDS_PER_TARGET=$1; shift
[[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] && [ "$SECONDS_PER_TARGET" -gt 0 ] || usage
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
# compile only when a source is newer than the compiled harness (after scripts/test.sh's build it is not)
harness=target/test-classes/dev/nncompress/fuzz/FuzzRun.class
if [ ! -f "$harness" ] || [ -n "$(find src pom.xml -newer "$harness" -print -quit)" ]; then mvn -B -q test-compile; fi
mkdir -p target/fuzz-logs
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "target/fuzz-findings/$t"
  rm -f target/fuzz-work/allTargets/runs.txt # the all-in-one target's counts of this run only
  log=target/fuzz-logs/$t.log
  started=$(date +%s)
  if FUZZ_SECONDS=$SECONDS_PER_TARGET fuzz_jvm "$t" "-artifact_prefix=$ROOT/target/fuzz-findings/$t/" >"$log" 2>&1; then rc=0; else rc=$?; fi
  # libFuzzer's last lines: "#N DONE cov: C ft: F corp: K/..." and "Done N runs in S second(s)"
  runs=$(grep -E '^Done [0-9]+ runs in' "$log" | tail -1 | awk '{print $2, $5}' || true)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
  # crash-*, timeout-*: findings (the harness adds model-*.safetensors, the model file of each); slow-unit-*
  # (an input over 10 s) are only reported
  findings=$(find "target/fuzz-findings/$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) -newermt "@$started" | wc -l)
  slow=$(find "target/fuzz-findings/$t" -type f -name 'slow-unit-*' -newermt "@$started" | wc -l)
  if [ -n "$runs" ]; then
    set -- $runs
    what="$1 runs in $2 s ($(( $1 / ($2 > 0 ? $2 : 1) ))/s), $cov"
  else
    what="no fuzzing run completed"
  fi
  echo "fuzz $t: $what, $findings finding(s), $slow slow input(s), $(( $(date +%s) - started )) s wall; log $log"
  if [ "$rc" -ne 0 ] || [ "$findings" -gt 0 ]; then
    status=1
    grep -E 'Test unit written|^ERROR|terminated without properly saying goodbye' "$log" | head -5 | sed 's/^/  /'
    [ -n "$runs" ] || echo "  the JVM died or did not start: the input it was running is in target/fuzz-work/$t/ (hs_err_pid*.log, if any, in $ROOT)"
    echo "  the exception: target/surefire-reports/dev.nncompress.fuzz.${CLASS[$t]}-output.txt"
  fi
  if [ "$t" = allTargets ]; then
    # how many inputs each target ran (the harness writes them when fuzzing ends); a target that ran none was not fuzzed
    per=$(cat target/fuzz-work/allTargets/runs.txt 2>/dev/null || true)
    echo "  ${per:-all-targets runs: (not written)}"
    if [ -z "$per" ] || grep -qE '=0( |$)' <<<"$per"; then
      echo "  a target ran no input${CI_SECONDS:+ in ${SECONDS_PER_TARGET} s}" >&2
      status=1
    fi
  fi
done
exit $status

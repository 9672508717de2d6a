#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs the test suite. Tests tagged "slow" are excluded
# here (run them with: mvn test -DexcludedTestGroups= -Dgroups=slow); tests tagged "gpu" run and skip,
# naming the reason, where no GPU is usable.
# Then the -Pjcuda11 profile (JCuda 11.7 family + the JCudnn route in src/jcuda11/) is compiled into its
# own folder and its CPU tests run, so that it cannot rot (~25 s; no nvcc/g++ step: -Dexec.skip).
# Then the CUDA kernels' harness validations run on the CPU (scripts/emulate-kernels.sh), since CI has
# no GPU: a failing emulated kernel check fails this script.
# Then every file loader is fuzzed for 5 s per target (scripts/fuzz.sh): a finding fails this script. Each
# target is its own JVM: ~15-35 s per target, nearly all of it Maven's and Jazzer's start-up
# (docs/reliability.md, "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mvn -B -q -ntp verify "$@"
mvn -B -q -ntp -Pjcuda11 -DbuildDir=target/jcuda11 -Dexec.skip=true test "$@" \
  -Dtest='Jcudnn*Test,VendorStackTest,LibraryChoiceTest' -Dsurefire.failIfNoSpecifiedTests=false
scripts/emulate-kernels.sh
scripts/fuzz.sh 5
echo "tests: all passed"

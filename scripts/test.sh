#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs the test suite. Tests tagged "slow" are excluded
# here (run them with: mvn test -DexcludedTestGroups= -Dgroups=slow); tests tagged "gpu" run and skip,
# naming the reason, where no GPU is usable.
# Then the gpu-tagged tests run again against the emulated CUDA driver (cuda-kernels/emu/driver,
# scripts/emulated-gpu-tests.sh), so the Java GPU path runs without a GPU.
# Then the -Pjcuda11 profile (JCuda 11.7 family + the JCudnn route in src/jcuda11/) is compiled into its
# own folder and its CPU tests run, so that it cannot rot (~25 s; no nvcc/g++ step: -Dexec.skip).
# Then the CUDA kernels' harness validations run on the CPU (scripts/emulate-kernels.sh), since CI has
# no GPU: a failing emulated kernel check fails this script.
# Then every file loader is fuzzed for 6 s per target (scripts/fuzz.sh --ci): a finding, or a target that ran
# no input, fails this script. All seven targets share one JVM (one fuzz test whose input's last byte picks the
# target): one Maven and Jazzer start-up instead of seven, 104 s instead of 327 s (docs/reliability.md, "Fuzzing").
# The jar's class-data-sharing archive (scripts/build-cds.sh, ~13 s of CPU) is left out: tests do not use it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mvn -B -q -ntp verify -Dnncompress.cds.skip=true "$@"
# Then the Spark module (spark/, docs/spark.md) against the core jar verify built, installed as is (no second build).
mvn -B -q -ntp install:install-file -Dfile=target/nncompress-0.1.0-SNAPSHOT.jar -DpomFile=pom.xml && (cd spark && mvn -B -q -ntp verify "$@")
# Then the Java GPU path on the emulated CUDA driver verify built (scripts/emulated-gpu-tests.sh; the
# training tests at small sizes, their GPU sizes only with its --all).
scripts/emulated-gpu-tests.sh "$@"
mvn -B -q -ntp -Pjcuda11 -DbuildDir=target/jcuda11 -Dexec.skip=true test "$@" \
  -Dtest='Jcudnn*Test,VendorStackTest,LibraryChoiceTest' -Dsurefire.failIfNoSpecifiedTests=false
scripts/emulate-kernels.sh
scripts/fuzz.sh --ci 6
echo "tests: all passed"

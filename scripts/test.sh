#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs the test suite. Tests tagged "slow" or "gpu"
# are excluded here; run them with: mvn test -DexcludedTestGroups= -Dgroups=slow
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mvn -B -q -ntp verify "$@"
echo "tests: all passed"

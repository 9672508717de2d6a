#!/usr/bin/env bash
# The Fashion-MNIST demo on a fresh machine: set up (scripts/setup.sh), build, then one recipe,
# recipes/fashion-mnist-demo.yaml: train the teacher, distill the student from it, prune the student,
# quantize it to int8, export it as ONNX (QDQ); every stage evaluated on the 10,000 test images and
# written with provenance, then report.html and, last, a summary table (stage, accuracy, file bytes,
# throughput) with the final model against the teacher (docs/pipeline.md, "The demo").
# Run directory: $NNCOMPRESS_DEMO_DIR (default: the recipe's runs/fashion-mnist-demo). Run again, it
# skips the stages already done there and prints the summary again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mvn -q -B -ntp -DskipTests package
args=(compress --recipe recipes/fashion-mnist-demo.yaml)
[[ -n "${NNCOMPRESS_DEMO_DIR:-}" ]] && args+=(-o "$NNCOMPRESS_DEMO_DIR")
exec scripts/nncompress "${args[@]}"

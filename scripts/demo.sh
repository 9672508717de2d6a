#!/usr/bin/env bash
# The Fashion-MNIST demo on a fresh machine: set up (scripts/setup.sh), build, train the teacher and
# the student for 3 epochs (SGD lr 0.01, momentum 0.9, batch 64), evaluate, calibrate for int8 (PTQ
# plan, simulated int8 accuracy, per-layer sensitivity), inspect, benchmark.
# Outputs go to $NNCOMPRESS_DEMO_DIR (default: demo-out/). Compression steps join as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mvn -q -B -ntp -DskipTests package
out=${NNCOMPRESS_DEMO_DIR:-demo-out}
mkdir -p "$out"

for model in student teacher; do
  echo "== train $model (3 epochs) =="
  scripts/nncompress train --model "$model" --epochs 3 --seed 42 --out "$out/$model.safetensors"
done
echo "== evaluate =="
scripts/nncompress eval "$out/teacher.safetensors" --confusion
scripts/nncompress eval "$out/student.safetensors"
for model in student teacher; do
  # PTQ calibration and per-layer sensitivity; accuracy of a simulated int8 run (the int8 engine that
  # writes an int8 model file is the next slice of issue "int8 quantization")
  echo "== int8 calibration: $model =="
  scripts/nncompress quantize "$out/$model.safetensors" --calib 1000 --report "$out/$model-int8-report.json"
done
echo "== inspect =="
scripts/nncompress info "$out/student.safetensors"
echo "== throughput (img/s, side by side with the baseline) =="
scripts/nncompress bench --models student,teacher

#!/usr/bin/env bash
# The Fashion-MNIST demo on a fresh machine: set up (scripts/setup.sh), build, train the teacher and
# the student for 3 epochs (SGD lr 0.01, momentum 0.9, batch 64), evaluate, quantize to int8 (PTQ
# plan, simulated int8 accuracy, per-layer sensitivity, the int8 model file scored by the int8 engine),
# distill the student from the teacher, prune the teacher (unstructured and structured), inspect,
# benchmark float, int8, pruned and sparse side by side.
# Outputs go to $NNCOMPRESS_DEMO_DIR (default: demo-out/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mvn -q -B -ntp -DskipTests package
out=${NNCOMPRESS_DEMO_DIR:-demo-out}
mkdir -p "$out"

for model in student teacher; do
  echo "== train $model (3 epochs) =="
  scripts/nncompress train "$model" --epochs 3 --seed 42 --out "$out/$model.safetensors"
done
echo "== evaluate =="
scripts/nncompress eval "$out/teacher.safetensors" --confusion
scripts/nncompress eval "$out/student.safetensors"
for model in student teacher; do
  # PTQ calibration, per-layer sensitivity, simulated int8 accuracy, then the int8 file and its
  # accuracy with the real int8 engine
  echo "== int8 quantization: $model =="
  scripts/nncompress quantize "$out/$model.safetensors" --calib 1000 --report "$out/$model-int8-report.json" \
    --out "$out/$model-int8.safetensors"
done
echo "== distillation: student from the teacher (3 epochs, teacher logits cached once) =="
scripts/nncompress distill student --teacher "$out/teacher.safetensors" --epochs 3 --temperature 4 --alpha 0.5 \
  --cache-teacher --seed 42 --out "$out/student-kd.safetensors"
echo "== pruning: teacher, global unstructured 90% and structured 50% of the filters and hidden neurons, 1 fine-tuning epoch each =="
scripts/nncompress prune "$out/teacher.safetensors" --sparsity 0.9 --finetune-epochs 1 --out "$out/teacher-pruned90.safetensors"
scripts/nncompress prune "$out/teacher.safetensors" --structured --sparsity 0.5 --finetune-epochs 1 \
  --out "$out/teacher-structured50.safetensors"
echo "== inspect =="
scripts/nncompress info "$out/student.safetensors"
scripts/nncompress info "$out/teacher-int8.safetensors"
echo "== throughput (img/s; int8 vs fp32 and sparse vs dense in the same run) =="
scripts/nncompress bench "student,teacher,$out/teacher-structured50.safetensors,$out/teacher-pruned90.safetensors" \
  --baseline none --int8

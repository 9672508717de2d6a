#!/usr/bin/env bash
# Spark's GPU discovery script for nncompress sweeps (docs/spark.md, "GPUs"): prints the GPUs of this machine in
# Spark's resource format, {"name": "gpu", "addresses": ["0", "1"]}, their CUDA ordinals as nvidia-smi lists them
# (the ordinal is what the CUDA backend opens, -Dnncompress.cuda.device). No nvidia-smi or no GPU: no addresses, and
# Spark refuses an executor that asks for one, saying so.
set -euo pipefail
addresses=""
if command -v nvidia-smi > /dev/null 2>&1; then
  while IFS= read -r index; do
    index=${index//[[:space:]]/}
    [[ "$index" =~ ^[0-9]+$ ]] || continue
    addresses+="${addresses:+, }\"$index\""
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader 2> /dev/null || true)
fi
echo "{\"name\": \"gpu\", \"addresses\": [$addresses]}"

#!/usr/bin/env bash
# Prints every libcuda symbol that JCuda's driver JNI library links (nm -D --undefined-only), the list
# cuda-kernels/emu/driver/jcuda-driver-symbols.txt keeps so that the emulated libcuda.so.1 defines all of
# them (as themselves or as stubs) and the JNI library loads against it. Run after a JCuda upgrade:
#   scripts/jcuda-driver-symbols.sh > cuda-kernels/emu/driver/jcuda-driver-symbols.txt
# Usage: scripts/jcuda-driver-symbols.sh [JCUDA_NATIVES_JAR] (default: the version in pom.xml, from ~/.m2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's|.*<jcuda.version>\(.*\)</jcuda.version>.*|\1|p' "$root/pom.xml" | head -n 1)
jar=${1:-$HOME/.m2/repository/org/jcuda/jcuda-natives/$version/jcuda-natives-$version-linux-x86_64.jar}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unzip -q -o "$jar" 'lib/libJCudaDriver-*' -d "$tmp"
echo "# Every libcuda symbol JCuda's driver JNI library (jcuda-natives $version, linux-x86_64) links; the emulated"
echo "# libcuda.so.1 defines each, as itself or as a stub. Regenerate: scripts/jcuda-driver-symbols.sh > cuda-kernels/emu/driver/jcuda-driver-symbols.txt"
nm -D --undefined-only "$tmp"/lib/libJCudaDriver-*.so | awk '$2 ~ /^cu/ {print $2}' | sort

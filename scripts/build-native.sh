#!/usr/bin/env bash
# Compiles native/src/ with g++ into the JNI library of the CPU int8 kernels (run by Maven in
# process-classes; usable by hand), written as a class-path resource:
#   CLASSES/dev/nncompress/native/linux-x86_64/libnncompress_native.so
# Each SIMD variant is its own translation unit with its own -m flags and everything else is built for
# generic x86-64, so the library loads on any x86-64 CPU and picks a variant at run time.
# A source that does not compile fails the build. Without g++ it says so and succeeds: the int8
# kernels then fall back to the plain-Java twin (likewise without jni.h or off linux-x86_64).
# Usage: scripts/build-native.sh CLASSES_DIR [JAVA_HOME]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
classes=${1:?classes dir}
java_home=${2:-${JAVA_HOME:-}}

if ! command -v g++ >/dev/null 2>&1; then
  echo "build-native: g++ not found; native int8 kernels not built (the Java twin will run)"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "build-native: only linux-x86_64 is supported, not $(uname -s)-$(uname -m); native int8 kernels not built"
  exit 0
fi
# jni.h: from the JDK given (Maven passes its own), else from the javac on PATH
if [ ! -f "$java_home/include/jni.h" ] && command -v javac >/dev/null 2>&1; then
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
fi
if [ ! -f "$java_home/include/jni.h" ]; then
  echo "build-native: no jni.h found (pass a JDK as the second argument); native int8 kernels not built"
  exit 0
fi

src="$root/native/src"
lib="$classes/dev/nncompress/native/linux-x86_64/libnncompress_native.so"
mkdir -p "$(dirname "$lib")"

# Rebuild only when a source (or this script) is newer than the library.
if [ -f "$lib" ] && [ -z "$(find "$src" "$0" -newer "$lib" -print -quit)" ]; then
  echo "build-native: up to date"
  exit 0
fi

# Exact IEEE float steps as the Java twin: no fast-math, no FMA contraction of multiply + add.
common=(-std=c++17 -O3 -fno-fast-math -ffp-contract=off -fPIC -fvisibility=hidden -Wall -Wextra
        -march=x86-64 -mtune=generic -I"$java_home/include" -I"$java_home/include/linux")
declare -A extra=(
  [gemm_s8_avx2]="-mavx2"
  [moves_s8_avx2]="-mavx2"
  [moves_s8_avx512]="-mavx512f -mavx512bw -mavx512vl -Wno-maybe-uninitialized"
  # the depthwise rows are 2 to 14 floats: copy loops stay loops (GCC would turn them into memcpy calls, ~2x slower on 4x4 planes)
  [depthwise_f32_scalar]="-fno-tree-loop-distribute-patterns"
  [depthwise_f32_avx2]="-mavx2 -fno-tree-loop-distribute-patterns"
  [depthwise_f32_avx512]="-mavx512f -mprefer-vector-width=512 -fno-tree-loop-distribute-patterns"
  [convstack_winograd_avx512]="-mavx512f -mprefer-vector-width=512 -Wno-maybe-uninitialized"
  [convstack_f32_avx512]="-mavx512f -mprefer-vector-width=512 -Wno-maybe-uninitialized"
  # GCC 12 warns about its own _mm256_undefined_pd inside _mm512_reduce_add_ps
  [convgrad_f32_avx512]="-mavx512f -mprefer-vector-width=512 -Wno-maybe-uninitialized -Wno-uninitialized"
  [convgrad_input_f32_avx512]="-mavx512f -mprefer-vector-width=512 -Wno-maybe-uninitialized"
  [fakequant_f32_avx512]="-mavx512f -mavx512bw -mavx512vl -Wno-maybe-uninitialized"
  [sparse_f32_avx2]="-mavx2 -mfma"
  [sparse_f32_avx512]="-mavx512f -Wno-maybe-uninitialized"
  # GCC 12 warns about its own _mm512_undefined_* inside the intrinsics headers
  [gemm_s8_avx512vnni]="-mavx512f -mavx512bw -mavx512vl -mavx512vnni -Wno-maybe-uninitialized"
  [conv_s8_avx512vnni]="-mavx512f -mavx512bw -mavx512vl -mavx512vnni -Wno-maybe-uninitialized"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objects=()
for f in "$src"/*.cpp; do
  name=$(basename "$f" .cpp)
  read -r -a flags <<< "${extra[$name]:-}"
  g++ "${common[@]}" "${flags[@]}" -c "$f" -o "$tmp/$name.o"
  objects+=("$tmp/$name.o")
done
# libstdc++ and libgcc linked in and hidden: the library needs only glibc and exports only the JNI names
g++ -shared -static-libstdc++ -static-libgcc -Wl,--exclude-libs,ALL -Wl,--no-undefined -Wl,-z,noexecstack -o "$tmp/libnncompress_native.so" "${objects[@]}"
mv "$tmp/libnncompress_native.so" "$lib"
echo "build-native: $lib ($(stat -c %s "$lib") bytes, ${#objects[@]} sources)"

#!/usr/bin/env bash
# Run HERE (a machine with nvcc, a JDK 17 and Maven, no GPU): builds and packs everything that
# scripts/gpu-check.sh needs on a lent GPU machine -- which has a driver, Python wheels of cuBLAS/cuDNN
# and PyTorch, but no Java, Maven, nvcc or network -- into the ignored folder target/gpu-bundle/:
#   jre/      a jlink'd Java 17 runtime (the device tool carries at most 64 MiB, a full JDK is ~300 MiB)
#   lib/      our jar (with the kernels' fatbin), a jar of the GPU test classes, jcuda with only its
#             driver JNI library, jcublas with only libJCublas2 (cuBLAS 12, tried after 13), bytedeco's cuda presets with only the cudart/cuBLAS/cuDNN JNI
#             libraries (+ javacpp), the JUnit console launcher, and the few small jars the CLI needs;
#             never ND4J or OpenBLAS (~300 MiB of CPU natives the GPU path does not use)
#   harness/  the standalone kernel harnesses (static cudart; need only the driver)
#   gpu/      the Python helpers (PyTorch baselines)
#   gpu-check.sh
# Extra arguments go to Maven (e.g. -o for offline). Fails when the bundle reaches 60 MiB.
# Everything is found by glob or package, so new harnesses, GPU tests and kernels join by themselves.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
limit_mib=60
# The GPU tests' package: its test classes (and the test helpers they reach) go into the test jar.
gpu_test_dir=dev/nncompress/backend/cuda
# The runtime jars from target/lib that join our jar: JCuda (driver API) and what the CLI (picocli,
# jackson, the progress bar) loads, so that `nncompress info --devices` runs from the bundle too.
keep_jars=(jcuda-[0-9]* jcuda-natives-* jcublas-[0-9]* jcublas-natives-* picocli-* jackson-core-* jackson-databind-* jackson-annotations-*
  slf4j-api-* slf4j-simple-* progressbar-* byteunits-* jline-* javacpp-[0-9]* cuda-[0-9]*)
# bytedeco's CUDA presets jar carries 27 JNI libraries (33 MB unpacked); the backend's Blas/Dnn use these
bytedeco_jni=(libjnicudart libjnicublas libjnicudnn)
# jlink modules measured to run the JUnit console on a jar (jdk.zipfs: without it the console finds no
# test inside a jar and, without --fail-if-no-tests, passes); jdeps adds what our classes need.
base_modules=java.base,java.logging,java.xml,jdk.unsupported,jdk.zipfs

die() { echo "gpu-bundle: $*" >&2; exit 1; }
for tool in nvcc java jlink jdeps jar mvn; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed here"
done
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
[ "$java_major" = 17 ] || die "needs a JDK 17 (found $java_major): the bundle's runtime is jlink'd from it and a newer image does not fit"

# The console launcher's platform version must go with the Jupiter version the tests compile against.
jupiter=$(sed -n 's:.*<junit.version>5\.\([0-9]*\.[0-9]*\)</junit.version>.*:\1:p' pom.xml)
platform=$(sed -n 's:.*<junit.platform.version>1\.\([0-9]*\.[0-9]*\)</junit.platform.version>.*:\1:p' pom.xml)
if [ -z "$jupiter" ] || [ "$jupiter" != "$platform" ]; then
  die "pom.xml: junit.platform.version 1.$platform does not go with junit.version 5.$jupiter"
fi

mvn -q -B -ntp -P gpu-bundle -DskipTests "$@" package
main_jar=$(find target -maxdepth 1 -name 'nncompress-*.jar' ! -name '*-sources.jar' ! -name '*-tests.jar' | head -n 1)
[ -n "$main_jar" ] || die "no target/nncompress-*.jar after the build"
# grep -c reads the whole listing: grep -q would stop early and, under pipefail, unzip's SIGPIPE fails the test
unzip -l "$main_jar" | grep -c 'dev/nncompress/cuda/nncompress.fatbin' >/dev/null || die "$main_jar has no kernels' fatbin (did nvcc run?)"
shopt -s nullglob
harnesses=(target/cuda-harness/*)
[ ${#harnesses[@]} -gt 0 ] || die "no harness binaries in target/cuda-harness/"
consoles=(target/gpu-bundle-deps/junit-platform-console-standalone-*.jar)
[ ${#consoles[@]} -eq 1 ] || die "expected one JUnit console jar in target/gpu-bundle-deps/, found ${#consoles[@]}"

# Assembled in a staging folder and moved into place only when complete, so that a failed run leaves
# no bundle at all rather than a partial one that could be carried to a GPU machine.
final=target/gpu-bundle
bundle=target/gpu-bundle-staging
work=target/gpu-bundle-work
rm -rf "$final" "$bundle" "$work"
mkdir -p "$bundle"/{lib,harness,gpu} "$work"

# --- the runtime: jlink'd once per module set, kept across runs in target/gpu-bundle-jre ----------
extra_modules=$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 target/classes target/test-classes 2>/dev/null | tail -n 1 || true)
modules=$(printf '%s,%s' "$base_modules" "$extra_modules" | tr ',' '\n' | grep -E '^[a-z][a-z0-9.]*$' | sort -u | paste -sd, -)
jre_cache=target/gpu-bundle-jre
if [ "$(cat "$jre_cache/.modules" 2>/dev/null || true)" != "$modules" ]; then
  rm -rf "$jre_cache"
  jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$jre_cache"
  # the JDK's shared libraries carry symbols the JVM never needs: ~4 MiB
  find "$jre_cache/lib" -name '*.so' -exec strip --strip-unneeded {} +
  echo "$modules" > "$jre_cache/.modules"
fi
# -L: the device tool does not carry symbolic links (jlink links the legal notices to java.base's)
cp -rL "$jre_cache" "$bundle/jre"

# --- the jars -------------------------------------------------------------------------------------
cp "$main_jar" "$bundle/lib/nncompress.jar"
cp "${consoles[0]}" "$bundle/lib/"
for pattern in "${keep_jars[@]}"; do
  for j in target/lib/$pattern.jar; do
    case "$(basename "$j")" in
      jcuda-natives-*)
        # jcuda-natives carries every JCuda JNI library (9.5 MiB, mostly libJNvPTXCompiler); we use the
        # driver API only, so repack it with libJCudaDriver alone (0.6 MiB)
        mkdir -p "$work/natives"
        (cd "$work/natives" && jar xf "$root/$j")
        find "$work/natives" -type f -name '*.so' ! -name 'libJCudaDriver*' -delete
        [ -n "$(find "$work/natives" -name 'libJCudaDriver*')" ] || die "$j has no libJCudaDriver"
        jar cf "$bundle/lib/$(basename "$j")" -C "$work/natives" . ;;
      jcublas-natives-*)
        # JcublasBlas uses the cuBLAS v2 API (libJCublas2); the legacy libJCublas is left out
        rm -rf "$work/jcublas" && mkdir -p "$work/jcublas"
        (cd "$work/jcublas" && jar xf "$root/$j")
        find "$work/jcublas" -type f -name '*.so' ! -name 'libJCublas2*' -delete
        [ -n "$(find "$work/jcublas" -name 'libJCublas2*')" ] || die "$j has no libJCublas2"
        jar cf "$bundle/lib/$(basename "$j")" -C "$work/jcublas" . ;;
      cuda-*-linux-x86_64.jar)
        # keep only the JNI libraries we load (5.0 -> ~1.6 MiB), with the preset properties the loader reads
        rm -rf "$work/bytedeco" && mkdir -p "$work/bytedeco"
        (cd "$work/bytedeco" && jar xf "$root/$j")
        keep=$(printf ' ! -name %s.so' "${bytedeco_jni[@]}")
        # shellcheck disable=SC2086
        find "$work/bytedeco" -type f -name 'libjni*.so' $keep -delete
        for lib in "${bytedeco_jni[@]}"; do
          [ -n "$(find "$work/bytedeco" -name "$lib.so")" ] || die "$j has no $lib.so"
        done
        jar cf "$bundle/lib/$(basename "$j")" -C "$work/bytedeco" . ;;
      *) cp "$j" "$bundle/lib/" ;;
    esac
  done
done
[ -n "$(find "$bundle/lib" -name 'jcuda-natives-*')" ] || die "jcuda-natives not found in target/lib"
[ -n "$(find "$bundle/lib" -name 'jcublas-natives-*')" ] || die "jcublas-natives not found in target/lib"
[ -n "$(find "$bundle/lib" -name 'cuda-*-linux-x86_64.jar')" ] || die "bytedeco's cuda-*-linux-x86_64.jar not found in target/lib"

# --- the test jar: the GPU test package plus the test classes it reaches (closure over jdeps edges) --
# Other test packages reference ND4J, which is not in the bundle: a class in the scanned jar that
# fails to load would break JUnit discovery, so the jar holds only what the GPU tests reach.
[ -d "target/test-classes/$gpu_test_dir" ] || die "no compiled tests in target/test-classes/$gpu_test_dir"
jdeps -verbose:class -filter:none target/test-classes 2>/dev/null \
  | awk '$2 == "->" {print $1, $3}' > "$work/edges.txt"
declare -A wanted=()
queue=()
while IFS= read -r f; do
  c=${f#target/test-classes/}; c=${c%.class}; c=${c//\//.}
  wanted[$c]=1; queue+=("$c")
done < <(find "target/test-classes/$gpu_test_dir" -name '*.class')
while [ ${#queue[@]} -gt 0 ]; do
  c=${queue[0]}; queue=("${queue[@]:1}")
  while read -r dep; do
    if [ -z "${wanted[$dep]:-}" ] && [ -f "target/test-classes/${dep//.//}.class" ]; then
      wanted[$dep]=1; queue+=("$dep")
    fi
  done < <(awk -v c="$c" '$1 == c {print $2}' "$work/edges.txt")
done
# The GPU tests may use main classes, the ref package and JUnit only: nothing that needs ND4J.
forbidden=$(for c in "${!wanted[@]}"; do awk -v c="$c" '$1 == c {print $1 " -> " $2}' "$work/edges.txt"; done \
  | grep -E -- '-> (org\.nd4j|org\.bytedeco\.openblas|dev\.nncompress\.backend\.cpu)\.' || true)
[ -z "$forbidden" ] || die "GPU test classes reach ND4J or the CPU backend, which the bundle leaves out:
$forbidden"
mkdir -p "$work/tests"
for c in "${!wanted[@]}"; do
  mkdir -p "$work/tests/$(dirname "${c//.//}")"
  cp "target/test-classes/${c//.//}.class" "$work/tests/${c//.//}.class"
done
# resources of the GPU test package and a root junit-platform.properties, if any
(cd target/test-classes && find "$gpu_test_dir" -type f ! -name '*.class' -exec cp --parents {} "$root/$work/tests/" \;)
[ ! -f target/test-classes/junit-platform.properties ] || cp target/test-classes/junit-platform.properties "$work/tests/"
jar cf "$bundle/lib/nncompress-gpu-tests.jar" -C "$work/tests" .

# --- harnesses, helpers, the check script, a manifest ----------------------------------------------
cp "${harnesses[@]}" "$bundle/harness/"
cp scripts/gpu/*.py "$bundle/gpu/"
cp scripts/gpu-check.sh "$bundle/"
{
  echo "nncompress GPU bundle, built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "jre modules: $modules"
  echo "classes in the GPU test jar: ${#wanted[@]}"
  (cd "$bundle" && find lib harness gpu -type f | sort)
} > "$bundle/BUNDLE.txt"
rm -rf "$work"

# The device tool leaves out links and names with odd characters: what it would drop must not be here.
odd=$(find "$bundle" -type l -o -name '*[!A-Za-z0-9._+-]*' | head -n 5)
[ -z "$odd" ] || die "the device tool would not carry these: $odd"

size_kib=$(du -sk "$bundle" | cut -f1)
size_mib=$(awk -v k="$size_kib" 'BEGIN {printf "%.1f", k / 1024}')
[ "$size_kib" -lt $((limit_mib * 1024)) ] || die "the bundle is $size_mib MiB, at or over the $limit_mib MiB limit (the device tool carries 64 MiB)"
mv "$bundle" "$final"
bundle=$final
echo "gpu-bundle: $bundle is $size_mib MiB (jre $(du -sh "$bundle/jre" | cut -f1), lib $(du -sh "$bundle/lib" | cut -f1), harness $(du -sh "$bundle/harness" | cut -f1); ${#harnesses[@]} harnesses, ${#wanted[@]} classes in the GPU test jar)"
echo "gpu-bundle: on the GPU machine (device tool, carry target/gpu-bundle) run: target/gpu-bundle/gpu-check.sh"

#!/usr/bin/env bash
# Builds the class-data-sharing (AppCDS) archive of the command line, run by Maven in package after the jar
# and target/lib (usable by hand):
#   BUILD_DIR/nncompress.jsa       the archive
#   BUILD_DIR/nncompress.jsa.java  the java binary it was made with (an archive fits one JVM build only)
# Every start of the CLI loads ~2,000 classes (picocli, Jackson, the model readers; ~3,400 with the cpu
# backend) before it reads a file. From the archive the JVM maps them pre-parsed and pre-verified: a
# rejected model file costs about 0.5 s less CPU (docs/reliability.md, "Start-up"). scripts/nncompress
# passes the archive only when it is newer than the jar and was made with the same java; a JVM given an
# archive that does not fit starts without it, silently.
# The class list comes from short runs of the jar: --help, info of a built-in model, an ONNX import, info
# of the imported file, a rejected (truncated) file, and the cpu backend's start (bench-gemm, 16x16).
# Nothing here fails the build: without the archive the CLI starts as it did before, a note says why.
# Usage: scripts/build-cds.sh BUILD_DIR [JAVA_HOME]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$(cd "${1:?build dir}" && pwd)
java_home=${2:-${JAVA_HOME:-}}
java=java
[[ -n "$java_home" && -x "$java_home/bin/java" ]] && java=$java_home/bin/java
java_id=$(readlink -f "$(command -v "$java")")

jar=
for j in "$build_dir"/nncompress-*.jar; do
  case "$j" in *-sources.jar | *-javadoc.jar | *-tests.jar) continue ;; esac
  [[ -f "$j" ]] && jar=$j
done
if [[ -z "$jar" || ! -d "$build_dir/lib" ]]; then
  echo "build-cds: no jar and lib/ in $build_dir; archive not built"
  exit 0
fi
archive=$build_dir/nncompress.jsa
if [[ -f "$archive" && "$archive" -nt "$jar" && ! "$0" -nt "$archive" && "$(cat "$archive.java" 2>/dev/null)" == "$java_id" ]]; then
  echo "build-cds: up to date"
  exit 0
fi
rm -f "$archive" "$archive.java"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
record() { # record ARGS...: one run of the CLI whose loaded classes go into the list; its exit code does not matter
  n=$((n + 1))
  (cd "$work" && "$java" -Xmx1g -XX:DumpLoadedClassList="$work/$n.classlist" -jar "$jar" "$@") >"$work/$n.log" 2>&1 || true
}
record --help
record info student
onnx=$root/src/test/resources/onnx/lenet_op17.onnx
if [[ -f "$onnx" ]]; then
  record import "$onnx" --out "$work/m.safetensors"
  record info "$work/m.safetensors"
  head -c 300 "$work/m.safetensors" > "$work/cut.safetensors" 2>/dev/null || true
  record eval "$work/cut.safetensors"
fi
record bench-gemm --size 16 --conv-shape none --rounds 1 --round-seconds 0.01 --no-java

# one list: the union of the runs' (a class listed twice is harmless, but keep it small)
cat "$work"/*.classlist 2>/dev/null | grep -v '^#' | awk '!seen[$0]++' > "$work/all.classlist" || true
if [[ ! -s "$work/all.classlist" ]]; then
  echo "build-cds: the runs of $jar listed no classes; archive not built"
  exit 0
fi
# -cp: the class path a `java -jar JAR` run has (the jar; its manifest adds lib/*.jar for both)
if "$java" -Xshare:dump -XX:SharedClassListFile="$work/all.classlist" -XX:SharedArchiveFile="$archive" -cp "$jar" >"$work/dump.log" 2>&1 \
   && [[ -s "$archive" ]]; then
  printf '%s\n' "$java_id" > "$archive.java"
  echo "build-cds: $archive ($(wc -l < "$work/all.classlist") classes listed, $(du -m "$archive" | cut -f1) MB)"
else
  rm -f "$archive"
  echo "build-cds: the archive could not be dumped (last lines of the log follow); the CLI starts without it"
  tail -3 "$work/dump.log"
fi

#!/usr/bin/env bash
# Installs what nncompress needs on a fresh Debian/Ubuntu machine: a JDK 17+, Maven, g++, the
# Fashion-MNIST dataset from Debian's package (the toolkit never downloads data at run time) and
# chromium (headless, for the report render test).
# Safe to run again: it installs only what is missing.
set -euo pipefail

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
# g++ builds the JNI int8 kernels (native/); without it the build says so and the Java twin runs
command -v g++ >/dev/null 2>&1 || need+=(g++)
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
# headless Chromium draws a recipe's report.html in the test suite (ReportChromiumTest); optional: where it cannot
# be installed the setup goes on and the test is skipped, naming the reason
want=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || want+=(chromium)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#need[@]} -gt 0 ] || [ ${#want[@]} -gt 0 ]; then $sudo apt-get update -qq || true; fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
if [ ${#want[@]} -gt 0 ]; then
  echo "setup: installing ${want[*]} (optional: the report's render test)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${want[@]}" \
    || echo "setup: ${want[*]} could not be installed; ReportChromiumTest will be skipped"
fi

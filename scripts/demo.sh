#!/usr/bin/env bash
# Builds mtrace, traces samples/leaky and prints its report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
rm -f leaky.trace
MTRACE_OUT=leaky.trace LD_PRELOAD="$PWD/build/preload/libmtrace.so" build/samples/leaky
build/analyzer/mtrace-report leaky.trace

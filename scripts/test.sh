#!/usr/bin/env bash
# Builds everything from scratch (the analyzer under ASan+UBSan) and runs the
# whole test suite: Criterion unit tests and integration tests through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
rm -rf build-test
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMTRACE_SANITIZE=ON -DMTRACE_WERROR=ON
cmake --build build-test -j"$(nproc)"
cd build-test
ctest --output-on-failure -j"$(nproc)" --timeout 600

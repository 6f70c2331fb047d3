#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (run as root):
#   1. installs the packages it needs (scripts/setup.sh) and starts dockerd if no engine
#      answers (scripts/dockerd.sh),
#   2. checks formatting (clang-format),
#   3. builds and runs every CTest test in the release build,
#   4. builds and runs them again under AddressSanitizer + UndefinedBehaviorSanitizer,
#   5. builds the libFuzzer targets with clang and runs each one briefly.
# Under CI=true, tests whose prerequisites are missing fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# A Docker engine for the engine tests; stopped at the end only if started here.
scripts/dockerd.sh start
trap 'scripts/dockerd.sh stop' EXIT

echo "== format"
mapfile -t sources < <(git ls-files '*.h' '*.cpp')
clang-format --dry-run --Werror "${sources[@]}"

echo "== release build and tests"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVARAN_TESTS=ON
(cd build && ctest -j2 --output-on-failure)

echo "== ASan + UBSan build and tests"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DVARAN_SANITIZE=ON -DVARAN_TESTS=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest -j2 --output-on-failure)

echo "== fuzz targets (short runs)"
scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVARAN_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++ -DVARAN_FUZZ_SECONDS="${VARAN_FUZZ_SECONDS:-20}"
(cd build-fuzz && ctest -j2 --output-on-failure)

echo "== all tests passed"

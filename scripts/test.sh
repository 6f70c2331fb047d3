#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (run as root):
#   1. installs the packages it needs (scripts/setup.sh) and starts the suite's own Docker
#      engine (scripts/dockerd.sh: its own socket, data root, bridge and network namespace; the
#      host's engine, its containers, volumes, networks and images are never touched),
#   2. checks formatting (clang-format),
#   3. builds and runs every CTest test in the release build,
#   4. builds and runs them again under AddressSanitizer + UndefinedBehaviorSanitizer,
#   5. builds the libFuzzer targets with clang and runs each one briefly,
#   6. where the host has an engine of its own, proves it holds exactly what it held before.
# Under CI=true, tests whose prerequisites are missing fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# This run's id: scripts/dockerd.sh stops only the engine this run started.
export VARAN_TEST_RUN_ID="test-$$-$(date +%s%N)"

# The host's engine, if any, is snapshotted now and compared at the end (scripts/host_engine.sh).
host_snapshot=$(mktemp)
scripts/host_engine.sh snapshot >"$host_snapshot"

if [[ ${VARAN_TEST_ENGINE:-private} == host ]]; then
  echo "== engine: the host's (/var/run/docker.sock), as VARAN_TEST_ENGINE=host asks;" \
    "cases that act on the whole engine need VARAN_TEST_ALLOW_HOST_ENGINE=destructive" >&2
  export DOCKER_HOST=unix:///var/run/docker.sock VARAN_TEST_HOST_ENGINE=1
else
  # A private engine can't start inside an unprivileged container: fall back to the host's.
  # The tests run in the private engine's network namespace (scripts/dockerd.sh exec), where
  # the ports its containers publish and the registries they pull from on 127.0.0.1 are.
  if scripts/dockerd.sh start; then
    eval "export $(scripts/dockerd.sh env)"
    echo "== engine: the suite's own ($DOCKER_HOST)"
  else
    echo "== engine: no private engine (see above); falling back to the host's" \
      "(/var/run/docker.sock); cases that act on the whole engine need" \
      "VARAN_TEST_ALLOW_HOST_ENGINE=destructive" >&2
    export DOCKER_HOST=unix:///var/run/docker.sock VARAN_TEST_HOST_ENGINE=1
  fi
fi
finish() {
  local rc=$?
  scripts/dockerd.sh stop || true
  if ! scripts/host_engine.sh compare "$host_snapshot"; then
    echo "FAIL: the host's Docker engine changed during the test run (see above)" >&2
    rc=1
  fi
  rm -f "$host_snapshot"
  exit $rc
}
trap finish EXIT

echo "== format"
mapfile -t sources < <(git ls-files '*.h' '*.cpp')
if ((${#sources[@]} == 0)); then
  echo "FAIL: git ls-files found no sources to check (is this a git checkout?)" >&2
  exit 1
fi
clang-format --dry-run --Werror "${sources[@]}"

echo "== release build and tests"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVARAN_TESTS=ON
(cd build && ../scripts/dockerd.sh exec ctest -j2 --output-on-failure)

echo "== ASan + UBSan build and tests"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DVARAN_SANITIZE=ON -DVARAN_TESTS=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ../scripts/dockerd.sh exec ctest -j2 --output-on-failure)

echo "== fuzz targets (short runs)"
scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVARAN_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++ -DVARAN_FUZZ_SECONDS="${VARAN_FUZZ_SECONDS:-20}"
(cd build-fuzz && ctest -j2 --output-on-failure)

echo "== all tests passed"

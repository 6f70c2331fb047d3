#!/usr/bin/env bash
# Installs every Debian package that Varan's build, tests and benchmarks need.
# Idempotent: packages already present are not touched; apt-get runs only when
# something is missing. Must run as root on Debian 12 (bookworm).
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  libssl-dev zlib1g-dev libcli11-dev
  libyaml-dev libre2-dev nlohmann-json3-dev libcurl4-openssl-dev libarchive-dev
  libgit2-dev libtomlplusplus-dev libboost-dev
  # tests
  libgtest-dev
  age openssh-client curl
  # python3 runs the tests' fake registry and the benchmarks' small helpers
  python3
  # the test rig: Debian's Docker engine, and a static busybox for images built FROM scratch
  docker.io busybox-static
  # the behavioural reference for `varan compose` (docker-compose v1, Python)
  docker-compose
  # the deploy tests: a smart-HTTP git server (nginx + git-http-backend through fcgiwrap),
  # git to make the commits it serves, strace to count the processes a deploy starts
  git nginx-light fcgiwrap strace
  # fuzzing (libFuzzer ships in clang's runtime package) and formatting
  clang libclang-rt-14-dev clang-format
  # benchmarks: hyperfine times commands, /usr/bin/time reports peak RSS, wrk loads the agent
  time hyperfine wrk
  # the periphery image test: debootstrap makes its debian:12 base image (no registry here)
  debootstrap
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Node.js runs the independent implementations the tests compare against (sops-age).
# Debian's nodejs/npm unless some Node.js is already installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing nodejs npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends nodejs npm
fi
interop="$(cd "$(dirname "$0")/.." && pwd)/tests/interop"
if [[ ! -f $interop/node_modules/sops-age/package.json ]]; then
  echo "setup: installing the npm packages of tests/interop" >&2
  (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error)
fi

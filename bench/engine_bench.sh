#!/usr/bin/env bash
# Benchmark: listing containers and inspecting one, three ways, in one run:
#  - in-process through Varan's engine client (one process, a kept-alive connection);
#  - the docker CLI, a process per call, as tools that shell out do (Debian's docker.io);
#  - curl --unix-socket, a process per call without the CLI's start-up.
# Median latency of one list + one inspect. Usage: bench/engine_bench.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
latency=$PWD/$build/bench/engine_latency
[[ -x $latency ]] || { echo "bench: build first (scripts/build.sh $build)" >&2; exit 1; }
RUNS=${RUNS:-30}
source bench/lib.sh
tmp=$(mktemp -d)
samples=$tmp/samples
docker_cli=/usr/bin/docker
[[ -x $docker_cli ]] || docker_cli=$(command -v docker)
use_test_engine

# A container to inspect, made from the test image (built by the tests, or here).
container=varan-bench-inspect
cleanup() {
  curl -s --unix-socket "$socket" -X DELETE "http://localhost/containers/$container?force=1" >/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! curl -sf --unix-socket "$socket" "http://localhost/images/varan-test/sleep:latest/json" >/dev/null; then
  (cd "$build" && ctest -R Engine.PingVersionInfoAndNegotiation >/dev/null) || true
fi
curl -s --unix-socket "$socket" -X DELETE "http://localhost/containers/$container?force=1" >/dev/null || true
curl -sf --unix-socket "$socket" -H 'Content-Type: application/json' -d '{"Image":"varan-test/sleep:latest"}' \
  "http://localhost/containers/create?name=$container" >/dev/null
api=$(curl -s -I --unix-socket "$socket" http://localhost/_ping | awk -F': ' 'tolower($1) == "api-version" { print $2 }' | tr -d '\r')

read -r varan_median varan_p10 varan_p90 < <("$latency" "$container" 500)
hyperfine_median cli_list "$docker_cli" ps -a
hyperfine_median cli_inspect "$docker_cli" inspect "$container"
hyperfine_median curl_list curl -s --unix-socket "$socket" "http://localhost/v$api/containers/json?all=1"
hyperfine_median curl_inspect curl -s --unix-socket "$socket" "http://localhost/v$api/containers/$container/json"

cli=$(($(median_us cli_list) + $(median_us cli_inspect)))
curl_total=$(($(median_us curl_list) + $(median_us curl_inspect)))
containers=$(curl -s --unix-socket "$socket" "http://localhost/containers/json?all=1" | grep -o '"Id"' | wc -l)
echo "engine benchmark: list all containers ($containers) + inspect one, API $api, $(nproc) cores"
echo
echo "| client | median latency | Varan's speed-up |"
echo "|---|---|---|"
printf '| Varan engine client, in-process | %s µs (p10 %s, p90 %s) | 1x |\n' "$varan_median" "$varan_p10" "$varan_p90"
printf '| curl --unix-socket, a process per call | %s µs | %sx |\n' "$curl_total" "$(ratio "$curl_total" "$varan_median")"
printf '| docker CLI (%s), a process per call | %s µs | %sx |\n' "$("$docker_cli" --version | awk '{print $3}' | tr -d ,)" "$cli" \
  "$(ratio "$cli" "$varan_median")"

#!/usr/bin/env bash
# Benchmark: the periphery agent on loopback, HTTPS with a passkey, against the real engine.
#   - idle memory: RSS (and how much of it is private) after start-up, and again after the
#     load below; beside it, the RSS of a program that only loads the same Debian libraries
#     (the floor this build can reach);
#   - GetHealth and GetSystemStats under wrk (2 threads, 16 keep-alive connections, 10 s):
#     requests per second and latency percentiles;
#   - ComposeUp of an unchanged stack end to end (curl to the agent, which reads the stack,
#     plans against the engine and changes nothing), side by side in one run with what
#     Komodo's periphery runs for the same request: `docker compose up -d` on the same files
#     (Debian's docker-compose v1, so the figure is a floor for Komodo's agent).
# Usage: bench/periphery_bench.sh [build dir]   (RUNS=10, DURATION=10s, SERVICES=5)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
agent_bin=$PWD/$build/periphery/periphery
[[ -x $agent_bin ]] || { echo "bench: build periphery first (scripts/build.sh $build)" >&2; exit 1; }
for t in wrk curl hyperfine docker-compose gcc; do
  command -v $t >/dev/null || { echo "bench: $t is missing (scripts/setup.sh)" >&2; exit 1; }
done
RUNS=${RUNS:-10}
source bench/lib.sh
duration=${DURATION:-10s}
services=${SERVICES:-5}
image=varan-test/sleep:latest
use_test_engine
need_test_image "$build" "$image"

tmp=$(mktemp -d)
samples=$tmp/samples
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  (cd "$tmp/root/stacks/bench-agent" 2>/dev/null && docker-compose -p bench-agent down -t 1 >/dev/null 2>&1) || true
  (cd "$tmp/v1" 2>/dev/null && docker-compose -p bench-v1 down -t 1 >/dev/null 2>&1) || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/periphery.toml" <<TOML
port = $port
bind_ip = "127.0.0.1"
root_directory = "$tmp/root"
passkeys = ["bench-passkey"]
TOML
"$agent_bin" --config-path "$tmp/periphery.toml" 2>"$tmp/agent.log" &
pid=$!
url=https://127.0.0.1:$port/
call() { curl -sk -H 'authorization: bench-passkey' -H 'content-type: application/json' --data-binary "$1" "$url"; }
for _ in $(seq 1 100); do call '{"type":"GetHealth","params":{}}' >/dev/null 2>&1 && break; sleep 0.05; done
sleep 3

# memory NAME: "rss_kib anon_kib pss_kib" of the agent now.
memory() {
  local rss anon pss
  rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$pid/status)
  anon=$(awk '/^RssAnon:/ { print $2 }' /proc/$pid/status)
  pss=$(awk '/^Pss:/ { print $2 }' /proc/$pid/smaps_rollup)
  echo "$rss $anon $pss"
}
read -r idle_rss idle_anon idle_pss < <(memory)

# The floor: a program that only loads the libraries the agent links, and waits.
libs=$(ldd "$agent_bin" | awk '$3 ~ /^\// { print $3 }' | grep -v -e '/libc\.so' -e '/ld-linux' | tr '\n' ' ')
printf '#include <unistd.h>\nint main(void) { pause(); return 0; }\n' >"$tmp/floor.c"
# shellcheck disable=SC2086
gcc -O2 "$tmp/floor.c" -o "$tmp/floor" -Wl,--no-as-needed $libs
"$tmp/floor" &
floor_pid=$!
sleep 1
floor_rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$floor_pid/status)
kill $floor_pid

# wrk TYPE: requests/s, p50 and p99 latency.
load() {
  cat >"$tmp/req.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"type":"$1","params":{}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["authorization"] = "bench-passkey"
LUA
  wrk -t2 -c16 -d"$duration" --latency -s "$tmp/req.lua" "$url" >"$tmp/wrk.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$tmp/wrk.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$tmp/wrk.txt")
  p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.txt")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk.txt")
  [[ -z $non2xx ]] || { echo "bench: $1 answered $non2xx non-2xx responses" >&2; cat "$tmp/wrk.txt" >&2; exit 1; }
  echo "| $1 | $rps | $p50 | $p99 |"
}
health=$(load GetHealth)
stats=$(load GetSystemStats)
read -r load_rss load_anon load_pss < <(memory)

# ComposeUp of an unchanged stack: the same compose file deployed by the agent (UI-defined
# contents) and by docker-compose v1 in a folder of its own.
{
  echo "services:"
  for ((i = 0; i < services; i++)); do
    printf '  s%d:\n    image: %s\n    init: true\n    environment:\n      SERVICE: s%d\n' "$i" "$image" "$i"
  done
} >"$tmp/compose.yaml"
mkdir -p "$tmp/v1"
cp "$tmp/compose.yaml" "$tmp/v1/compose.yaml"
python3 - "$tmp/compose.yaml" >"$tmp/up.json" <<'PY'
import json, sys
contents = open(sys.argv[1]).read()
print(json.dumps({"type": "ComposeUp", "params": {
    "stack": {"name": "bench-agent", "config": {"file_contents": contents, "auto_pull": False}},
    "services": [], "git_token": None, "registry_token": None, "replacers": []}}))
PY
call @"$tmp/up.json" | grep -q '"deployed":true' || { echo "bench: the first ComposeUp failed" >&2; exit 1; }
(cd "$tmp/v1" && docker-compose -p bench-v1 up -d >/dev/null 2>&1)
hyperfine_median agent curl -sk -o /dev/null -H 'authorization: bench-passkey' \
  -H 'content-type: application/json' --data-binary @"$tmp/up.json" "$url"
(cd "$tmp/v1" && hyperfine_median compose_v1 docker-compose -p bench-v1 up -d)
# Nothing may have been recreated by the repeated deploys.
call @"$tmp/up.json" | grep -q '"deployed":true' || { echo "bench: a repeated ComposeUp failed" >&2; exit 1; }
ms() { awk -v us="$1" 'BEGIN { printf "%.0f", us / 1000 }'; }
a=$(median_us agent) v=$(median_us compose_v1)

kib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
echo "periphery benchmark: loopback HTTPS with a passkey, $(nproc) cores, wrk -t2 -c16 -d$duration, engine API $(curl -s --unix-socket "$socket" http://localhost/version | python3 -c 'import json,sys; print(json.load(sys.stdin)["ApiVersion"])')"
echo
echo "| memory | RSS | private (anonymous) | PSS |"
echo "|---|---|---|---|"
echo "| idle, 3 s after start | $(kib "$idle_rss") | $(kib "$idle_anon") | $(kib "$idle_pss") |"
echo "| idle, after the load below | $(kib "$load_rss") | $(kib "$load_anon") | $(kib "$load_pss") |"
echo "| floor: a program that only loads the same libraries | $(kib "$floor_rss") | | |"
echo
echo "| request | requests/s | p50 latency | p99 latency |"
echo "|---|---|---|---|"
echo "$health"
echo "$stats"
echo
echo "| ComposeUp of an unchanged $services-service stack (median of $RUNS) | time | ratio |"
echo "|---|---|---|"
echo "| varan periphery (curl → agent → engine) | $(ms "$a") ms | 1.00x |"
echo "| docker-compose up -d (what Komodo's periphery runs) | $(ms "$v") ms | $(ratio "$v" "$a")x slower |"

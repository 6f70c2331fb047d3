#!/usr/bin/env bash
# Benchmark: `varan compose` against Debian's docker-compose (v1) on the real engine, side by
# side in one run, on a 20-service project: cold `up -d`, a no-op `up -d`, `up -d` after one
# service's environment changed, and `down`. Wall time (median of RUNS rounds, the tools
# alternating; the no-op by hyperfine) and the number of Engine API calls each makes (counted by bench/api_proxy in
# one extra round). In the same run, the engine's floor for a cold up: 20 create+start pairs
# sent straight to the API at once (bench/compose_floor).
# Usage: bench/compose_bench.sh [build dir]   (RUNS=5, SERVICES=20 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
varan=$PWD/$build/cli/varan
proxy=$PWD/$build/bench/api_proxy
floor=$PWD/$build/bench/compose_floor
for b in "$varan" "$proxy" "$floor"; do
  [[ -x $b ]] || { echo "bench: build first (scripts/build.sh $build)" >&2; exit 1; }
done
compose_v1=$(command -v docker-compose) || { echo "bench: docker-compose is missing (scripts/setup.sh)" >&2; exit 1; }
source bench/lib.sh
services=${SERVICES:-20}
use_test_engine
image=varan-test/sleep:latest

tmp=$(mktemp -d)
samples=$tmp/samples
proxy_pid=
cleanup() {
  [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null || true
  (cd "$tmp" && "$varan" compose -p benchv down -t 1 >/dev/null 2>&1 || true)
  (cd "$tmp" && "$compose_v1" -p benchd down -t 1 >/dev/null 2>&1 || true)
  rm -rf "$tmp"
}
trap cleanup EXIT

need_test_image "$build" "$image"

{
  echo "services:"
  for ((i = 0; i < services; i++)); do
    cat <<EOF
  s$i:
    image: $image
    init: true
    environment:
      SERVICE: s$i
      REVISION: \${REV_$i:-0}
EOF
  done
} >"$tmp/compose.yaml"

# cmd TOOL PHASE ROUND: the command line of one phase; the tools differ only by project name.
cmd() {
  local argv
  if [[ $1 == varan ]]; then argv=("$varan" compose -p benchv); else argv=("$compose_v1" -p benchd); fi
  case $2 in
    cold | noop) argv+=(up -d) ;;
    change) argv=(env "REV_0=$3" "${argv[@]}" up -d) ;;  # s0's environment changes each round
    down) argv+=(down -t 1) ;;
  esac
  printf '%q ' "${argv[@]}"
}

# phase TOOL PHASE ROUND [DOCKER_HOST]: runs it in the project folder, timed, with peak RSS.
phase() {
  local tool=$1 name=$2 round=$3 host=${4:-}
  local c t0 t1
  c=$(cmd "$tool" "$name" "$round")
  t0=$(date +%s%N)
  (cd "$tmp" && if [[ -n $host ]]; then export DOCKER_HOST=$host; fi &&
    eval "/usr/bin/time -f '%M' -o '$tmp/rss' $c") >/dev/null 2>"$tmp/err" || {
    echo "bench: $tool $name failed:" >&2
    cat "$tmp/err" >&2
    return 1
  }
  t1=$(date +%s%N)
  [[ -z $host ]] && echo "${tool}_$name $(((t1 - t0) / 1000)) $(tail -n1 "$tmp/rss")" >>"$samples"
  return 0
}

phases=(cold noop change down)
for ((round = 1; round <= RUNS; round++)); do
  for p in "${phases[@]}"; do
    if [[ $p == noop ]]; then
      # Tens of milliseconds against more than a second: timed by hyperfine, no shell between.
      ((round == 1)) && (
        cd "$tmp"
        hyperfine_median varan_noop "$varan" compose -p benchv up -d
        hyperfine_median compose_noop "$compose_v1" -p benchd up -d
      )
      continue
    fi
    phase varan "$p" "$round"
    phase compose "$p" "$round"
  done
  echo "floor $("$floor" "$services" "$image") 0" >>"$samples"
done

# One more round through the counting proxy: the Engine API calls of each phase.
"$proxy" "$tmp/proxy.sock" "$socket" "$tmp/calls" &
proxy_pid=$!
for ((i = 0; i < 50; i++)); do
  [[ -S $tmp/proxy.sock ]] && break
  sleep 0.1
done
declare -A calls
for p in "${phases[@]}"; do
  for tool in varan compose; do
    : >"$tmp/calls"
    phase "$tool" "$p" $((RUNS + 1)) "unix://$tmp/proxy.sock"
    sleep 0.2  # the proxy logs as it forwards; let the last lines land
    calls[${tool}_$p]=$(wc -l <"$tmp/calls")
    cp "$tmp/calls" "$tmp/calls.${tool}_$p"
  done
done

distinct_images=1
noop_lists=$(grep -c '^GET /v[0-9.]*/containers/json$' "$tmp/calls.varan_noop" || true)
noop_inspects=$(grep -c '^GET /v[0-9.]*/images/.*/json$' "$tmp/calls.varan_noop" || true)

echo "compose benchmark: $services services (image $image, init), median of $RUNS rounds, $(nproc) cores,"
echo "docker-compose $("$compose_v1" version --short), Docker Engine $(curl -s --unix-socket "$socket" http://localhost/version | sed 's/.*"Version":"\([^"]*\)".*"ApiVersion".*/\1/' | head -c 20)"
echo
echo "| step | varan compose | docker-compose | speed-up | API calls (varan / docker-compose) | peak RSS (varan / docker-compose) |"
echo "|---|---|---|---|---|---|"
for p in "${phases[@]}"; do
  v=$(median_us "varan_$p") c=$(median_us "compose_$p")
  printf '| %s up -d | %s ms | %s ms | %sx | %s / %s | %s / %s MiB |\n' "$p" "$((v / 1000))" "$((c / 1000))" \
    "$(ratio "$c" "$v")" "${calls[varan_$p]}" "${calls[compose_$p]}" \
    "$(mib "$(peak_kib "varan_$p")")" "$(mib "$(peak_kib "compose_$p")")"
done | sed 's/^| down up -d/| down/'
f=$(median_us floor)
echo
printf 'Engine floor (%s create+start pairs at once, straight to the API): %s ms; varan cold up takes %sx the floor, docker-compose %sx.\n' \
  "$services" "$((f / 1000))" "$(ratio "$(median_us varan_cold)" "$f")" "$(ratio "$(median_us compose_cold)" "$f")"
printf 'No-op up -d: varan made %s container list call(s) and %s image inspect(s) for %s distinct image(s).\n' \
  "$noop_lists" "$noop_inspects" "$distinct_images"

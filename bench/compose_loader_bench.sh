#!/usr/bin/env bash
# Benchmark: the compose loader (`varan compose config`) on hostile shapes that took minutes
# before issue 11: an `extends` chain of 5000 services (137 KB), 100 000 nested `[` (which
# must fail with "nested too deeply"), 20 000 nested `${A:-...}` defaults, and a .env whose
# values double 39 times. Each case prints wall time, peak RSS and how it ended. No engine.
# Usage: bench/compose_loader_bench.sh [varan binary]   (default build/cli/varan;
#        TIMEOUT=300 seconds and MEM_MB=4096 of address space per case; CASES to pick some)
set -euo pipefail
cd "$(dirname "$0")/.."
varan=$(realpath "${1:-build/cli/varan}")
[[ -x $varan ]] || { echo "bench: no varan at $varan (scripts/build.sh build)" >&2; exit 1; }
limit=${TIMEOUT:-300}
mem_mb=${MEM_MB:-4096}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import os, sys
t = sys.argv[1]
def case(name, compose, env=None):
    os.makedirs(f"{t}/{name}")
    open(f"{t}/{name}/compose.yaml", "w").write(compose)
    if env is not None:
        open(f"{t}/{name}/.env", "w").write(env)
svc = "services:\n  a:\n    image: busybox\n"
case("extends-5000", "services:\n  s0:\n    image: busybox\n" +
     "".join(f"  s{i}:\n    extends: s{i-1}\n" for i in range(1, 5000)))
case("nesting-100000", svc + "    labels: " + "[" * 100000 + "\n")
case("defaults-20000", svc + "    environment:\n      X: \"" + "${A:-" * 20000 + "}" * 20000 + "\"\n")
case("doubling-39", svc + "    environment: {X: $V39}\n", "V0=xxxxxxxx\n" +
     "".join(f"V{i}=${{V{i-1}}}${{V{i-1}}}\n" for i in range(1, 40)))
PY

printf '%-16s %10s %12s  %s\n' case seconds "peak MiB" result
for c in ${CASES:-extends-5000 nesting-100000 defaults-20000 doubling-39}; do
  t0=$(date +%s%N)
  set +e
  (cd "$tmp/$c" && ulimit -v $((mem_mb * 1024)) && /usr/bin/time -f '%M' -o "$tmp/rss" timeout "$limit" "$varan" compose -p bench config \
    >/dev/null 2>"$tmp/err")
  rc=$?
  set -e
  t1=$(date +%s%N)
  case $rc in
    0) result=loaded ;;
    124) result="killed after ${limit} s" ;;
    134) result="aborted (out of its ${mem_mb} MiB?)" ;;
    13[0-9] | 14[0-9]) result="killed by signal $((rc - 128))" ;;
    *) result=$(grep -v '^Command' "$tmp/err" | grep -o 'nested too deeply\|nest more than [0-9]* levels\|grows past [0-9]* MiB\|Segmentation fault\|signal [0-9]*' | head -1 || true)
       [[ -n $result ]] || result="exit $rc" ;;
  esac
  rss=$(grep -o '^[0-9]*' "$tmp/rss" | tail -1 || true)
  printf '%-16s %10s %12s  %s\n' "$c" "$(awk -v n=$((t1 - t0)) 'BEGIN { printf "%.2f", n / 1e9 }')" \
    "$(awk -v k="${rss:-0}" 'BEGIN { printf "%.0f", k / 1024 }')" "$result"
done

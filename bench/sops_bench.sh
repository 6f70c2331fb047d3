#!/usr/bin/env bash
# Benchmark: sops-decrypt against the sops-age npm package (node), side by side in one run.
#  1. one 50-key .sops.env decrypted per call;
#  2. a folder of 20 stacks, each with a 50-key .sops.env: one `sops-decrypt -r` call
#     against 20 node calls (what a pre_deploy loop does today).
# Wall time (median of RUNS hyperfine runs after 2 warm-up runs) and peak RSS.
# Usage: bench/sops_bench.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
varan=$PWD/$build/cli/varan
sops_decrypt=$PWD/$build/cli/sops-decrypt
node_decrypt=$PWD/tests/interop/sops_age_decrypt.mjs
[[ -x $sops_decrypt ]] || { echo "bench: build first (scripts/build.sh $build)" >&2; exit 1; }
[[ -d tests/interop/node_modules/sops-age ]] || { echo "bench: run scripts/setup.sh first" >&2; exit 1; }
RUNS=${RUNS:-9}
source bench/lib.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
samples=$tmp/samples
"$varan" age keygen -o "$tmp/key.txt" 2>/dev/null
recipient=$("$varan" age keygen -y "$tmp/key.txt")
export SOPS_AGE_KEY_FILE=$tmp/key.txt HOME=$tmp

for ((i = 1; i <= 50; i++)); do
  printf 'SECRET_%02d=%s\n' "$i" "$(head -c 24 /dev/urandom | base64)"
done >"$tmp/plain.env"
"$varan" secrets encrypt --age "$recipient" --input-type dotenv "$tmp/plain.env" >"$tmp/app.sops.env"

mkdir "$tmp/stacks"
for ((s = 1; s <= 20; s++)); do
  d=$tmp/stacks/stack$s
  mkdir "$d"
  "$varan" secrets encrypt --age "$recipient" --input-type dotenv "$tmp/plain.env" >"$d/.sops.env"
done
cat >"$tmp/node_loop.sh" <<LOOP
for d in "$tmp"/stacks/*/; do node "$node_decrypt" "\$d.sops.env" env >"\$d.env"; done
LOOP

clean="rm -f $tmp/stacks/*/.env"
hyperfine_median varan_file "$sops_decrypt" "$tmp/app.sops.env"
hyperfine_median node_file node "$node_decrypt" "$tmp/app.sops.env" env
hyperfine_median varan_folder --prepare "$clean" "$sops_decrypt" -r "$tmp/stacks"
hyperfine_median node_folder --prepare "$clean" bash "$tmp/node_loop.sh"

ms() { awk -v us="$1" 'BEGIN { printf "%.1f ms", us / 1000 }'; }
echo "sops benchmark: 50-key .sops.env, median of $RUNS runs (hyperfine), $(nproc) cores, node $(node --version), sops-age 4.0.2"
echo
echo "| case | sops-decrypt | sops-age (node) | speed-up | sops-decrypt peak RSS | node peak RSS |"
echo "|---|---|---|---|---|---|"
for c in file folder; do
  v=$(median_us "varan_$c") n=$(median_us "node_$c")
  label=$([[ $c == file ]] && echo "one file" || echo "20 stacks (1 call vs 20)")
  printf '| %s | %s | %s | %sx | %s MiB | %s MiB |\n' "$label" "$(ms "$v")" "$(ms "$n")" "$(ratio "$n" "$v")" \
    "$(mib "$(peak_kib "varan_$c")")" "$(mib "$(peak_kib "node_$c")")"
done

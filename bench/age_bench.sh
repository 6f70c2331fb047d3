#!/usr/bin/env bash
# Benchmark: `varan age` against the reference `age` CLI (Debian's, Go), side by side in
# one run, on a 512 MiB file of random bytes: decrypt and encrypt, throughput and peak
# memory. Output goes to /dev/null so the figures are the tools', not the disk's.
# Usage: bench/age_bench.sh [build dir]   (RUNS=5, SIZE_MIB=512 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
varan=$PWD/$build/cli/varan
[[ -x $varan ]] || { echo "bench: build varan first (scripts/build.sh $build)" >&2; exit 1; }
source bench/lib.sh
size_mib=${SIZE_MIB:-512}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
samples=$tmp/samples

head -c $((size_mib << 20)) /dev/urandom >"$tmp/plain"
age-keygen -o "$tmp/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$tmp/key.txt")
age -r "$recipient" -o "$tmp/file.age" "$tmp/plain"

for ((round = 0; round < RUNS; round++)); do
  sample varan_decrypt "$varan" age -d -i "$tmp/key.txt" -o /dev/null "$tmp/file.age"
  sample age_decrypt age -d -i "$tmp/key.txt" -o /dev/null "$tmp/file.age"
  sample varan_encrypt "$varan" age -r "$recipient" -o /dev/null "$tmp/plain"
  sample age_encrypt age -r "$recipient" -o /dev/null "$tmp/plain"
done

mbps() { awk -v us="$1" -v mib="$size_mib" 'BEGIN { printf "%.0f", mib * 1048576 / (us / 1e6) / 1e6 }'; }
row() {
  local op=$1
  local v a
  v=$(median_us "varan_$op") a=$(median_us "age_$op")
  printf '| %s | %s MB/s | %s MB/s | %sx | %s MiB | %s MiB |\n' "$op" "$(mbps "$v")" "$(mbps "$a")" \
    "$(ratio "$a" "$v")" "$(mib "$(peak_kib "varan_$op")")" "$(mib "$(peak_kib "age_$op")")"
}

echo "age benchmark: ${size_mib} MiB random file, median of $RUNS runs, $(nproc) cores, age $(age --version)"
echo
echo "| operation | varan age | age (Go) | varan / age throughput | varan peak RSS | age peak RSS |"
echo "|---|---|---|---|---|---|"
row decrypt
row encrypt

#!/usr/bin/env bash
# Benchmark: a no-change deploy of a 5-stack repo, in one run on the real engine:
#  - `varan deploy stacks.toml --if-changed`: libgit2 fetch, in-process decryption, plan;
#  - the shell pipeline users run today: `git pull`, then for each stack a decrypt of its
#    .sops.env with the sops-age npm package (node, standing in for `sops -d`) and
#    `docker-compose up -d` (Debian's v1).
# Both are deployed once first; then each is timed with hyperfine (median of RUNS runs).
# Usage: bench/deploy_bench.sh [build dir]   (RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
varan=$PWD/$build/cli/varan
[[ -x $varan ]] || { echo "bench: build first (scripts/build.sh $build)" >&2; exit 1; }
node_decrypt=$PWD/tests/interop/sops_age_decrypt.mjs
[[ -d tests/interop/node_modules/sops-age ]] || { echo "bench: run scripts/setup.sh first" >&2; exit 1; }
compose_v1=$(command -v docker-compose) || { echo "bench: docker-compose is missing" >&2; exit 1; }
RUNS=${RUNS:-5}
source bench/lib.sh
use_test_engine
image=varan-test/sleep:latest
stacks=5

tmp=$(mktemp -d)
samples=$tmp/samples
cleanup() {
  for ((s = 1; s <= stacks; s++)); do
    "$varan" compose --project-directory "$tmp/root/bv$s/stack$s" -p "bv$s" down -t 1 >/dev/null 2>&1 || true
    (cd "$tmp/shell/stack$s" 2>/dev/null && "$compose_v1" -p "bs$s" down -t 1 >/dev/null 2>&1) || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

need_test_image "$build" "$image"

g() { git -c user.name=bench -c user.email=bench@varan.invalid -c init.defaultBranch=main "$@"; }
"$varan" age keygen -o "$tmp/key.txt" 2>/dev/null
recipient=$("$varan" age keygen -y "$tmp/key.txt")
export SOPS_AGE_KEY_FILE=$tmp/key.txt

# The repo: 5 stacks, each a compose file with two services (one reading the decrypted
# .env) and a .sops.env of 10 secrets.
g init -q --bare "$tmp/repo.git"
g init -q "$tmp/work"
printf 'creation_rules:\n  - path_regex: \\.sops\\.env$\n    age: %s\n' "$recipient" >"$tmp/work/.sops.yaml"
: >"$tmp/stacks.toml"
for ((s = 1; s <= stacks; s++)); do
  d=$tmp/work/stack$s
  mkdir "$d"
  cat >"$d/compose.yaml" <<EOF
services:
  app:
    image: $image
    init: true
    env_file: .env
  cache:
    image: $image
    init: true
EOF
  for ((i = 1; i <= 10; i++)); do printf 'SECRET_%02d=%s\n' "$i" "$(head -c 18 /dev/urandom | base64)"; done >"$d/.sops.env"
  (cd "$tmp/work" && "$varan" secrets encrypt -i "stack$s/.sops.env")
  cat >>"$tmp/stacks.toml" <<EOF
[[stack]]
name = "bv$s"
[stack.config]
repo = "$tmp/repo.git"
run_directory = "stack$s"
pre_deploy.command = "sops-decrypt.sh"
auto_pull = false

EOF
done
g -C "$tmp/work" add -A
g -C "$tmp/work" commit -q -m stacks
g -C "$tmp/work" push -q "$tmp/repo.git" HEAD:refs/heads/main
g clone -q "$tmp/repo.git" "$tmp/shell"

cat >"$tmp/shell.sh" <<EOF
set -e
cd "$tmp/shell"
git pull -q --ff-only
for s in \$(seq 1 $stacks); do
  cd "$tmp/shell/stack\$s"
  node "$node_decrypt" .sops.env env >.env.tmp && mv .env.tmp .env
  "$compose_v1" -p "bs\$s" up -d
done
EOF

# Both deployed once; what follows changes nothing.
"$varan" deploy "$tmp/stacks.toml" --root "$tmp/root" >/dev/null
bash "$tmp/shell.sh" >/dev/null 2>&1

hyperfine_median varan "$varan" deploy "$tmp/stacks.toml" --root "$tmp/root" --if-changed
hyperfine_median shell bash "$tmp/shell.sh"

v=$(median_us varan) s=$(median_us shell)
ms() { awk -v us="$1" 'BEGIN { printf "%.0f ms", us / 1000 }'; }
echo "deploy benchmark: no-change deploy of a $stacks-stack repo (2 services and a 10-key .sops.env each),"
echo "median of $RUNS runs (hyperfine), $(nproc) cores, docker-compose $("$compose_v1" version --short), node $(node --version)"
echo
echo "| pipeline | wall time | peak RSS | Varan's speed-up |"
echo "|---|---|---|---|"
printf '| varan deploy --if-changed (libgit2 fetch, in-process decrypt, plan) | %s | %s MiB | 1x |\n' "$(ms "$v")" "$(mib "$(peak_kib varan)")"
printf '| git pull + sops-age (node) + docker-compose up -d per stack | %s | %s MiB | %sx |\n' "$(ms "$s")" "$(mib "$(peak_kib shell)")" "$(ratio "$s" "$v")"

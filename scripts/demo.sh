#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (run as root): installs what it needs,
# builds Varan, then shows `varan age` generating a key, encrypting a demo file for two
# recipients (one made by the reference age-keygen) and decrypting it again, the SOPS
# pre_deploy step (`varan secrets encrypt` by .sops.yaml rules, `sops-decrypt` on the folder),
# and the deploy: `varan compose up -d` on the stack using the decrypted .env, a secret
# rotated, and a second deploy that recreates only the service that reads it; then
# `varan deploy` of examples/ (served as a git repo): clone, in-process decryption, up.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
scripts/setup.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
varan=$PWD/build/cli/varan

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== varan age keygen -o key.txt"
"$varan" age keygen -o key.txt
age-keygen -o their-key.txt 2>/dev/null
ours=$("$varan" age keygen -y key.txt)
theirs=$(age-keygen -y their-key.txt)

printf 'DB_PASSWORD=correct horse battery staple\nAPI_TOKEN=demo-token\n' > demo.env
echo "== varan age -r <ours> -r <theirs> -a -o demo.env.age demo.env"
"$varan" age -r "$ours" -r "$theirs" -a -o demo.env.age demo.env
cat demo.env.age

echo "== varan age -d -i key.txt demo.env.age"
"$varan" age -d -i key.txt demo.env.age
echo "== the reference age CLI opens the same file with the other key"
age -d -i their-key.txt demo.env.age

echo
echo "== SOPS: a stack folder with a .sops.yaml and an encrypted .sops.env"
mkdir stack
cat > .sops.yaml <<YAML
creation_rules:
  - path_regex: \.sops\.env$
    age: $ours
YAML
printf 'DB_PASSWORD=correct horse battery staple\nAPI_TOKEN=demo-token\n' > stack/.sops.env
"$varan" secrets encrypt -i stack/.sops.env
head -2 stack/.sops.env
echo "== sops-decrypt stack   (the pre_deploy hook: .sops.env -> .env, atomic, mode 0600)"
SOPS_AGE_KEY_FILE=$PWD/key.txt "$(dirname "$varan")/sops-decrypt" stack
stat -c '%a %n' stack/.env
cat stack/.env
echo "== again: nothing changed, nothing is rewritten"
SOPS_AGE_KEY_FILE=$PWD/key.txt "$(dirname "$varan")/sops-decrypt" stack

echo
echo "== deploy the stack with varan compose (Debian's dockerd; started if none answers)"
"$OLDPWD/scripts/dockerd.sh" host
# The demo image: Debian's static busybox FROM scratch (no registry is needed).
mkdir image
cp /bin/busybox image/busybox
printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\nCMD ["sleep", "3600"]\n' >image/Dockerfile
docker build -q -t varan-demo/busybox image >/dev/null 2>"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
cat >stack/compose.yaml <<'YAML'
services:
  app:
    image: varan-demo/busybox
    init: true
    env_file: .env # written by sops-decrypt from .sops.env
    depends_on: [cache]
  cache:
    image: varan-demo/busybox
    init: true
YAML
trap '"$varan" compose --project-directory "$work/stack" -p varan-demo down -t 1 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd stack
echo "== varan compose -p varan-demo up -d"
"$varan" compose -p varan-demo up -d
"$varan" compose -p varan-demo ps
echo "== rotate a secret: encrypt the new value, decrypt to .env, deploy again"
printf 'DB_PASSWORD=a new password\nAPI_TOKEN=demo-token\n' >.sops.env
(cd "$work" && "$varan" secrets encrypt -i stack/.sops.env)
SOPS_AGE_KEY_FILE=$work/key.txt "$(dirname "$varan")/sops-decrypt" .
echo "== varan compose up -d --dry-run"
"$varan" compose -p varan-demo up -d --dry-run
"$varan" compose -p varan-demo up -d
echo "== and once more: nothing changed, nothing is touched"
"$varan" compose -p varan-demo up -d
echo "== varan compose down"
"$varan" compose -p varan-demo down -t 1

echo
echo "== varan deploy examples/stacks.toml: the examples/ repo served by git, deployed"
# The demo's git remote: a bare repo holding examples/repo (git runs here, in the demo
# script; varan itself clones with libgit2).
g() { git -c user.name=demo -c user.email=demo@varan.invalid -c init.defaultBranch=main "$@"; }
g init -q --bare "$work/examples.git"
g init -q "$work/examples-work"
cp -a "$src/examples/repo/." "$work/examples-work/"
g -C "$work/examples-work" add -A
g -C "$work/examples-work" commit -q -m "demo stack"
g -C "$work/examples-work" push -q "$work/examples.git" HEAD:refs/heads/main
sed "s|@REPO@|$work/examples.git|" "$src/examples/stacks.toml" >"$work/stacks.toml"
export SOPS_AGE_KEY_FILE=$src/examples/demo-age-key.txt
"$varan" deploy "$work/stacks.toml" --root "$work/root"
echo "== varan deploy --if-changed: nothing changed, nothing is touched"
"$varan" deploy "$work/stacks.toml" --root "$work/root" --if-changed
"$varan" compose --project-directory "$work/root/varan-demo/demo" -p varan-demo ps
"$varan" compose --project-directory "$work/root/varan-demo/demo" -p varan-demo down -t 1

echo
echo "== the periphery agent: the same stack deployed as Komodo Core asks, over HTTPS"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'port = %s\nbind_ip = "127.0.0.1"\nroot_directory = "%s"\npasskeys = ["demo-passkey"]\n[secrets]\nCACHE_SIZE = "64m"\n' \
  "$port" "$work/komodo" >"$work/periphery.toml"
"$src/build/periphery/periphery" --config-path "$work/periphery.toml" 2>"$work/periphery.log" &
agent=$!
trap 'kill $agent 2>/dev/null || true; "$varan" compose --project-directory "$work/stack" -p varan-demo down -t 1 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
call() {
  curl -sk -H 'authorization: demo-passkey' -H 'content-type: application/json' -d "$1" "https://127.0.0.1:$port/"
}
for _ in $(seq 1 100); do call '{"type":"GetHealth","params":{}}' >/dev/null 2>&1 && break; sleep 0.1; done
call '{"type":"GetVersion","params":{}}'
echo
up=$(call '{"type":"ComposeUp","params":{"stack":{"name":"varan-demo","config":{
  "repo":"'"$work/examples.git"'","branch":"main","run_directory":"demo",
  "file_paths":["compose.yaml"],"environment":"CACHE_SIZE=[[CACHE_SIZE]]",
  "env_file_path":".cache.env","pre_deploy":{"path":"","command":"sops-decrypt.sh"},
  "post_deploy":{"path":"","command":""},"auto_pull":false}},
  "services":[],"git_token":null,"registry_token":null,"replacers":[]}}')
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("deployed:", r["deployed"], "services:", [s["service_name"] for s in r["services"]]); [print(" ", l["stage"], "ok" if l["success"] else "FAILED") for l in r["logs"]]; sys.exit(0 if r["deployed"] else 1)' "$up"
call '{"type":"GetDockerLists","params":{}}' |
  python3 -c 'import json,sys; r=json.load(sys.stdin); print("projects:", [p["name"] for p in r["projects"]["Ok"]])'
call '{"type":"ComposeExecution","params":{"project":"varan-demo","command":"down --timeout 1"}}' |
  python3 -c 'import json,sys; r=json.load(sys.stdin); print("down:", "ok" if r["success"] else r["stderr"])'
kill $agent

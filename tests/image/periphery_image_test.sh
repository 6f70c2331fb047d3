#!/usr/bin/env bash
# The image from Dockerfile.periphery, built and run against the host's engine: the agent in
# its container gets the engine socket and a stack folder mounted at the same path on both
# sides (as Komodo's docs advise for /etc/komodo), and deploys a stack whose `.sops.env` is
# decrypted by the pre_deploy hook inside the image. Also checks the komodo.skip label, the
# installed binaries, and that the agent as PID 1 reaps the orphans a RunCommand leaves.
#
# Usage: periphery_image_test.sh SOURCE_DIR VARAN_BIN
# Exit 77 (skipped) when no engine answers, unless CI=true, where that is a failure.
set -euo pipefail
src=$1
varan=$2
# The engine of DOCKER_HOST (the suite's private one under scripts/test.sh), else the host's.
socket=${DOCKER_SOCKET:-/var/run/docker.sock}
[[ ${DOCKER_HOST:-} == unix://* ]] && socket=${DOCKER_HOST#unix://}
image=varan/periphery:test
agent=varan-image-test-agent
project=vit-demo

engine() { curl -sf --unix-socket "$socket" "$@"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

if ! engine http://localhost/_ping >/dev/null; then
  [[ ${CI:-} == true ]] && fail "no Docker engine answers on $socket (CI=true: not skipped)"
  echo "SKIP: no Docker engine answers on $socket" >&2
  exit 77
fi

dir=$(mktemp -d /var/tmp/varan-image-test.XXXXXX)
cleanup() {
  engine -X DELETE "http://localhost/containers/$agent?force=true" >/dev/null 2>&1 || true
  for id in $(engine "http://localhost/containers/json?all=true&filters=%7B%22label%22%3A%5B%22com.docker.compose.project%3D$project%22%5D%7D" |
    grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
    engine -X DELETE "http://localhost/containers/$id?force=true" >/dev/null 2>&1 || true
  done
  engine -X DELETE "http://localhost/networks/${project}_default" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
cleanup_first() { engine -X DELETE "http://localhost/containers/$agent?force=true" >/dev/null 2>&1 || true; }
cleanup_first

echo "== base image and build (cached between runs by the engine)"
"$src/scripts/base_image.sh" debian:12
docker build -q -f "$src/Dockerfile.periphery" -t "$image" "$src" >"$dir/build.log" 2>&1 ||
  { tail -n 40 "$dir/build.log" >&2; fail "docker build -f Dockerfile.periphery failed"; }

labels=$(engine "http://localhost/images/$image/json")
grep -q '"komodo.skip":"true"' <<<"$labels" || fail "the image has no komodo.skip label: $labels"

echo "== a stack with SOPS secrets, on the host"
mkdir -p "$dir/stacks/app"
"$varan" age keygen -o "$dir/key.txt" 2>/dev/null
recipient=$("$varan" age keygen -y "$dir/key.txt")
printf 'creation_rules:\n  - path_regex: \\.sops\\.env$\n    age: %s\n' "$recipient" >"$dir/stacks/app/.sops.yaml"
printf 'DB_PASSWORD=image-secret-7f3a\n' >"$dir/stacks/app/.sops.env"
(cd "$dir/stacks/app" && "$varan" secrets encrypt -i .sops.env)
grep -q image-secret-7f3a "$dir/stacks/app/.sops.env" && fail "the .sops.env was not encrypted"
printf 'from the host\n' >"$dir/stacks/app/motd.txt"
cat >"$dir/stacks/app/compose.yaml" <<'YAML'
services:
  web:
    image: debian:12
    command: ["sleep", "3600"]
    init: true
    env_file: .env
    volumes:
      - ./motd.txt:/motd.txt:ro
YAML

echo "== the agent in its container"
passkey=image-test-passkey
engine -X POST -H 'Content-Type: application/json' "http://localhost/containers/create?name=$agent" -d @- >/dev/null <<JSON ||
{"Image": "$image",
 "Env": ["PERIPHERY_ROOT_DIRECTORY=$dir", "PERIPHERY_PASSKEYS=$passkey",
         "SOPS_AGE_KEY_FILE=$dir/key.txt"],
 "ExposedPorts": {"8120/tcp": {}},
 "HostConfig": {"Binds": ["$socket:/var/run/docker.sock", "$dir:$dir"],
                "PortBindings": {"8120/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}}}
JSON
  fail "could not create the agent container"
engine -X POST "http://localhost/containers/$agent/start" >/dev/null || fail "could not start the agent"
port=$(engine "http://localhost/containers/$agent/json" | grep -oE '"HostPort":"[0-9]+"' | head -n1 | cut -d'"' -f4)
[[ -n $port ]] || fail "no published port for the agent"

call() {
  curl -sk --max-time 120 -H "authorization: $passkey" -H 'content-type: application/json' \
    -d "$1" "https://127.0.0.1:$port/"
}
for _ in $(seq 1 100); do
  call '{"type":"GetHealth","params":{}}' >/dev/null 2>&1 && break
  sleep 0.1
done
health=$(call '{"type":"GetHealth","params":{}}') ||
  { engine "http://localhost/containers/$agent/logs?stdout=1&stderr=1" >&2; fail "the agent does not answer on https://127.0.0.1:$port"; }
[[ $health == "{}" ]] || fail "GetHealth answered $health"
version=$(call '{"type":"GetVersion","params":{}}')
grep -q '"version"' <<<"$version" || fail "GetVersion answered $version"

echo "== ComposeUp through the agent in the image"
up=$(call "{\"type\":\"ComposeUp\",\"params\":{\"stack\":{\"name\":\"$project\",\"config\":{
  \"files_on_host\":true,\"run_directory\":\"$dir/stacks/app\",\"file_paths\":[\"compose.yaml\"],
  \"env_file_path\":\".env\",\"pre_deploy\":{\"path\":\"\",\"command\":\"sops-decrypt.sh\"},
  \"post_deploy\":{\"path\":\"\",\"command\":\"\"},\"auto_pull\":false}},
  \"services\":[],\"git_token\":null,\"registry_token\":null,\"replacers\":[]}}")
grep -q '"deployed":true' <<<"$up" || fail "ComposeUp did not deploy: $up"
grep -q image-secret-7f3a <<<"$up" && fail "a decrypted value reached the ComposeUp response"
env=$(engine "http://localhost/containers/$project-web-1/json") || fail "no container $project-web-1"
grep -q '"Running":true' <<<"$env" || fail "$project-web-1 is not running"
grep -q 'DB_PASSWORD=image-secret-7f3a' <<<"$env" || fail "$project-web-1 lacks the decrypted variable"
grep -q "\"Source\":\"$dir/stacks/app/motd.txt\"" <<<"$env" || fail "the bind mount is not the host path"
mode=$(stat -c %a "$dir/stacks/app/.env")
[[ $mode == 600 ]] || fail ".env has mode $mode, expected 600"

echo "== an unchanged stack deploys again without recreating"
before=$(grep -o '"Id":"[0-9a-f]*"' <<<"$env" | head -n1)
up=$(call "{\"type\":\"ComposeUp\",\"params\":{\"stack\":{\"name\":\"$project\",\"config\":{
  \"files_on_host\":true,\"run_directory\":\"$dir/stacks/app\",
  \"pre_deploy\":{\"path\":\"\",\"command\":\"sops-decrypt.sh\"},\"auto_pull\":false}},
  \"services\":[],\"replacers\":[]}}")
grep -q '"deployed":true' <<<"$up" || fail "the second ComposeUp did not deploy: $up"
after=$(engine "http://localhost/containers/$project-web-1/json" | grep -o '"Id":"[0-9a-f]*"' | head -n1)
[[ $before == "$after" ]] || fail "an unchanged stack was recreated"

echo "== the agent is PID 1 and reaps orphans"
run=$(call '{"type":"RunCommand","params":{"command":{"path":"/","command":"sh -c \"sleep 0.2 &\"; sleep 1; ls /usr/local/bin; cat /proc/[0-9]*/stat"}}}')
grep -q '"success":true' <<<"$run" || fail "RunCommand failed: $run"
for b in periphery sops-decrypt varan; do
  grep -q "$b" <<<"$run" || fail "$b is not installed in the image: $run"
done
grep -Eq '\) Z [0-9]' <<<"$run" && fail "zombie processes in the agent's container: $run"

echo "== ComposeExecution down"
down=$(call "{\"type\":\"ComposeExecution\",\"params\":{\"project\":\"$project\",\"command\":\"down\"}}")
grep -q '"success":true' <<<"$down" || fail "ComposeExecution down failed: $down"
engine "http://localhost/containers/$project-web-1/json" >/dev/null && fail "$project-web-1 is still there after down"
echo "PASS: the periphery image deploys a SOPS stack through the host's engine"

#!/usr/bin/env bash
# Proves the test suite leaves the host's Docker engine alone: puts a canary on the host's
# engine (/var/run/docker.sock, started with scripts/dockerd.sh host when none answers) - a
# running container, a stopped container with a named volume holding a file, a user network
# and an image, none labelled komodo.skip - runs the whole suite (scripts/test.sh, which
# snapshots the host's engine before and compares after), checks the four canary objects
# once more by name, and removes them.
#
#   scripts/host_canary.sh          canary + the whole suite
#   scripts/host_canary.sh setup    only puts the canary in place
#   scripts/host_canary.sh check    only checks it
#   scripts/host_canary.sh remove   only removes it
set -euo pipefail
cd "$(dirname "$0")/.."
socket=/var/run/docker.sock
engine() { curl -sf --unix-socket "$socket" "$@"; }
name=varan-host-canary

setup() {
  scripts/dockerd.sh host
  remove 2>/dev/null # a canary left by an interrupted run
  local ctx
  ctx=$(mktemp -d)
  mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/data"
  cp /bin/busybox "$ctx/rootfs/bin/busybox"
  for a in sh sleep; do ln -s busybox "$ctx/rootfs/bin/$a"; done
  # Runs until stopped: a canary that ends by itself would look like one the suite stopped.
  printf 'FROM scratch\nCOPY rootfs/ /\nCMD ["sh", "-c", "while :; do sleep 3600; done"]\n' >"$ctx/Dockerfile"
  tar -C "$ctx" -cf "$ctx.tar" .
  engine -X POST -H 'Content-Type: application/x-tar' --data-binary "@$ctx.tar" \
    "http://localhost/build?t=$name:latest&rm=1" >/dev/null
  rm -rf "$ctx" "$ctx.tar"
  engine -X POST -H 'Content-Type: application/json' -d "{\"Name\":\"$name-net\",\"CheckDuplicate\":true}" \
    http://localhost/networks/create >/dev/null
  engine -X POST -H 'Content-Type: application/json' -d "{\"Name\":\"$name-vol\"}" \
    http://localhost/volumes/create >/dev/null
  engine -X POST -H 'Content-Type: application/json' \
    -d "{\"Image\":\"$name:latest\",\"HostConfig\":{\"NetworkMode\":\"$name-net\"}}" \
    "http://localhost/containers/create?name=$name-running" >/dev/null
  engine -X POST "http://localhost/containers/$name-running/start"
  # The stopped one wrote a file into the volume before it stopped.
  engine -X POST -H 'Content-Type: application/json' \
    -d "{\"Image\":\"$name:latest\",\"Cmd\":[\"sh\",\"-c\",\"echo canary > /data/file\"],\"HostConfig\":{\"Binds\":[\"$name-vol:/data\"]}}" \
    "http://localhost/containers/create?name=$name-stopped" >/dev/null
  engine -X POST "http://localhost/containers/$name-stopped/start"
  engine -X POST "http://localhost/containers/$name-stopped/wait" >/dev/null
  started_at >"$started_file"
  host_bridges >"$bridges_file"
  check
}

# The host's bridges (docker0, the canary network's br-*): a second dockerd in the host's
# network namespace removed docker0 once, which the engine's API does not show.
bridges_file=/run/varan-host-canary.bridges
host_bridges() { ip -o link show type bridge | awk -F': ' '{print $2}' | sort; }

# When the running canary started: a restart by the suite would change it.
started_file=/run/varan-host-canary.started
started_at() {
  engine "http://localhost/containers/$name-running/json" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["State"]["StartedAt"])'
}

check() {
  local state file
  state=$(engine "http://localhost/containers/$name-running/json" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["State"]["Status"])')
  [[ $state == running ]] || { echo "canary: $name-running is $state" >&2; return 1; }
  [[ $(started_at) == $(cat "$started_file") ]] ||
    { echo "canary: $name-running was restarted" >&2; return 1; }
  state=$(engine "http://localhost/containers/$name-stopped/json" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["State"]["Status"])')
  [[ $state == exited ]] || { echo "canary: $name-stopped is $state" >&2; return 1; }
  file=$(engine "http://localhost/volumes/$name-vol" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["Mountpoint"])')/file
  [[ $(cat "$file") == canary ]] || { echo "canary: $file lost its content" >&2; return 1; }
  engine "http://localhost/networks/$name-net" >/dev/null || { echo "canary: no network" >&2; return 1; }
  engine "http://localhost/images/$name:latest/json" >/dev/null || { echo "canary: no image" >&2; return 1; }
  [[ $(host_bridges) == $(cat "$bridges_file") ]] ||
    { echo "canary: the host's bridges changed:" >&2; diff "$bridges_file" <(host_bridges) >&2; return 1; }
  echo "canary: the host engine's running and stopped containers, volume, network, image and" \
    "bridges are intact"
}

remove() {
  engine -X DELETE "http://localhost/containers/$name-running?force=1" || true
  engine -X DELETE "http://localhost/containers/$name-stopped?force=1" || true
  engine -X DELETE "http://localhost/volumes/$name-vol" || true
  # Network names need not be unique: remove every one of that name.
  local id
  for id in $(engine "http://localhost/networks?filters=%7B%22name%22%3A%7B%22$name-net%22%3Atrue%7D%7D" |
    python3 -c 'import json,sys; print(" ".join(n["Id"] for n in json.load(sys.stdin)))'); do
    engine -X DELETE "http://localhost/networks/$id" || true
  done
  engine -X DELETE "http://localhost/images/$name:latest" >/dev/null || true
}

case "${1:-all}" in
setup) setup ;;
check) check ;;
remove) remove ;;
all)
  setup
  bash scripts/test.sh
  check
  remove
  ;;
*)
  echo "usage: $0 [setup|check|remove]" >&2
  exit 2
  ;;
esac

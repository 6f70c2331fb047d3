#!/usr/bin/env bash
# The host engine's canary: what the host's Docker engine (/var/run/docker.sock) holds, so that
# scripts/test.sh can prove a test run left it exactly as it was.
#
#   scripts/host_engine.sh snapshot           prints the state (nothing when no engine answers)
#   scripts/host_engine.sh compare FILE       exits 1 and prints the difference when the state
#                                             now differs from the snapshot in FILE
#
# The state: every container (id, name, image, state), every volume (name; for a volume no
# running container mounts, also the names, sizes and modification times of its files: a
# running database writes to its own), every network (id, name) and every image (id, tags).
# A container that stops by itself during the run shows up too. Read-only: it only asks the
# engine and lists files.
set -euo pipefail
socket=${VARAN_HOST_SOCKET:-/var/run/docker.sock}

snapshot() {
  curl -sf --max-time 3 --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1 || return 0
  local get="curl -sf --max-time 30 --unix-socket $socket"
  local ids
  ids=$($get "http://localhost/containers/json?all=1" | python3 -c \
    'import json,sys; print("\n".join(c["Id"] for c in json.load(sys.stdin)))')
  for id in $ids; do
    $get "http://localhost/containers/$id/json" | python3 -c '
import json, sys
c = json.load(sys.stdin)
s = c["State"]
print("container", c["Id"][:12], c["Name"], c["Config"]["Image"], s["Status"])'
  done
  local busy
  busy=$($get "http://localhost/containers/json" | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    for m in c.get("Mounts") or []:
        if m.get("Type") == "volume":
            print(m["Name"])')
  $get http://localhost/volumes | BUSY="$busy" python3 -c '
import json, os, sys
busy = set(os.environ["BUSY"].split())
for v in sorted(json.load(sys.stdin).get("Volumes") or [], key=lambda v: v["Name"]):
    print("volume", v["Name"])
    if v["Name"] in busy:
        continue
    root = v.get("Mountpoint") or ""
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            print("  file", os.path.relpath(p, root), st.st_size, st.st_mtime_ns)'
  $get http://localhost/networks | python3 -c '
import json, sys
for n in sorted(json.load(sys.stdin), key=lambda n: n["Id"]):
    print("network", n["Id"][:12], n["Name"])'
  $get http://localhost/images/json | python3 -c '
import json, sys
for i in sorted(json.load(sys.stdin), key=lambda i: i["Id"]):
    print("image", i["Id"], ",".join(sorted(i.get("RepoTags") or [])))'
}

case "${1:-}" in
snapshot) snapshot ;;
compare)
  now=$(mktemp)
  trap 'rm -f "$now"' EXIT
  snapshot >"$now"
  if ! diff -u "$2" "$now" >&2; then
    echo "host engine ($socket): the lines above changed during the run" >&2
    exit 1
  fi
  if [[ -s $2 ]]; then
    echo "== host engine ($socket): unchanged ($(grep -c '^container' "$2" || true) containers," \
      "$(grep -c '^volume' "$2" || true) volumes, $(grep -c '^network' "$2" || true) networks," \
      "$(grep -c '^image' "$2" || true) images)"
  fi
  ;;
*)
  echo "usage: $0 snapshot|compare FILE" >&2
  exit 2
  ;;
esac

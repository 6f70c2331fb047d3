#!/usr/bin/env bash
# The test rig's engine: `start` makes sure a Docker engine answers on the socket
# (starting Debian's dockerd when nothing does), `stop` stops it again only if `start`
# started it. Images come from no registry: tests build their own FROM scratch.
set -euo pipefail
socket=${DOCKER_SOCKET:-/var/run/docker.sock}
state=${VARAN_DOCKERD_STATE:-/run/varan-test-dockerd}

answers() { curl -sf --max-time 3 --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1; }

case "${1:-}" in
start)
  if answers; then
    echo "dockerd: an engine already answers on $socket" >&2
    exit 0
  fi
  mkdir -p "$state"
  echo "dockerd: starting Debian's dockerd (log: $state/dockerd.log)" >&2
  dockerd --host "unix://$socket" >"$state/dockerd.log" 2>&1 &
  echo $! >"$state/pid"
  for ((i = 0; i < 60; i++)); do
    if answers; then exit 0; fi
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      echo "dockerd: exited while starting:" >&2
      tail -n 20 "$state/dockerd.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "dockerd: not answering after 30 s; see $state/dockerd.log" >&2
  exit 1
  ;;
stop)
  [[ -f $state/pid ]] || exit 0
  pid=$(cat "$state/pid")
  rm -f "$state/pid"
  if kill "$pid" 2>/dev/null; then
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac

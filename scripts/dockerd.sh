#!/usr/bin/env bash
# The test rig's engine: a Docker engine of the suite's own, so that tests and benchmarks
# never touch the containers, volumes, networks or images of the host they run on.
#
#   scripts/dockerd.sh start   starts Debian's dockerd on its own socket, data root, exec root,
#                              pid file and bridge (Docker's documented recipe for running
#                              several daemons on one host), unless this run's engine answers
#   scripts/dockerd.sh stop    stops that engine, and only if this run started it
#   scripts/dockerd.sh env     prints the DOCKER_HOST line for the private engine
#   scripts/dockerd.sh host    the demo's engine: makes sure the host's engine answers on
#                              /var/run/docker.sock, starting Debian's dockerd if none does
#
# Tests and benchmarks find it through DOCKER_HOST=unix:///run/varan-test/docker.sock.
# Images come from no registry: tests build their own FROM scratch.
#
# VARAN_TEST_ENGINE=host uses the host's engine instead (/var/run/docker.sock); cases that act
# on the whole engine then refuse to run unless VARAN_TEST_ALLOW_HOST_ENGINE=destructive.
set -euo pipefail
run=${VARAN_TEST_RUN_DIR:-/run/varan-test}
data=${VARAN_TEST_DATA_DIR:-/var/lib/varan-test}
socket=$run/docker.sock
bridge=varan-test0
# A /24 for the bridge and a pool for the networks compose makes, away from Docker's defaults
# (172.17-31.x, 192.168.x) so that a host engine beside it keeps its own subnets.
bridge_cidr=10.213.0.1/24
pool=10.214.0.0/16

answers() { curl -sf --max-time 3 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1; }

# The pid file holds "<pid> <token>"; the token is this shell's run id (VARAN_TEST_RUN_ID, set by
# scripts/test.sh), so that a second run on the same machine never stops the first run's engine.
owner_file=$run/owner

case "${1:-}" in
host)
  host_socket=/var/run/docker.sock
  if answers "$host_socket"; then exit 0; fi
  mkdir -p /run/varan-host-dockerd
  echo "dockerd: starting Debian's dockerd (log: /run/varan-host-dockerd/dockerd.log)" >&2
  dockerd --host "unix://$host_socket" >/run/varan-host-dockerd/dockerd.log 2>&1 &
  for ((i = 0; i < 60; i++)); do
    if answers "$host_socket"; then exit 0; fi
    sleep 0.5
  done
  echo "dockerd: not answering after 30 s; see /run/varan-host-dockerd/dockerd.log" >&2
  exit 1
  ;;
env)
  echo "DOCKER_HOST=unix://$socket"
  ;;
start)
  if answers "$socket"; then
    echo "dockerd: the private engine already answers on $socket (started by another run;" \
      "not stopped by this one)" >&2
    exit 0
  fi
  # A second dockerd beside a running host engine removes the host's docker0 bridge (seen with
  # Debian's dockerd 20.10 in the same network namespace): never start one then. The caller
  # falls back to the host's engine, where the cases that act on the whole engine are guarded.
  if answers /var/run/docker.sock; then
    echo "dockerd: the host's engine runs on /var/run/docker.sock; not starting a private engine" \
      "beside it (it would remove the host's docker0 bridge)" >&2
    exit 3
  fi
  mkdir -p "$run" "$data/docker" "$data/exec"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$bridge_cidr" dev "$bridge"
  fi
  ip link set "$bridge" up
  echo "dockerd: starting a private engine on $socket (data $data/docker, log $run/dockerd.log)" >&2
  dockerd --host "unix://$socket" --data-root "$data/docker" --exec-root "$data/exec" \
    --pidfile "$run/dockerd.pid" --bridge "$bridge" --default-address-pool "base=$pool,size=24" \
    >"$run/dockerd.log" 2>&1 &
  pid=$!
  echo "$pid ${VARAN_TEST_RUN_ID:-$$}" >"$owner_file"
  for ((i = 0; i < 60; i++)); do
    if answers "$socket"; then exit 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "dockerd: the private engine exited while starting:" >&2
      tail -n 20 "$run/dockerd.log" >&2
      rm -f "$owner_file"
      exit 1
    fi
    sleep 0.5
  done
  echo "dockerd: the private engine is not answering after 30 s; see $run/dockerd.log" >&2
  exit 1
  ;;
stop)
  [[ -f $owner_file ]] || exit 0
  read -r pid token <"$owner_file" || exit 0
  if [[ $token != "${VARAN_TEST_RUN_ID:-$$}" ]]; then
    echo "dockerd: the private engine was started by another run; left running" >&2
    exit 0
  fi
  rm -f "$owner_file"
  if kill "$pid" 2>/dev/null; then
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
*)
  echo "usage: $0 start|stop|env|host" >&2
  exit 2
  ;;
esac

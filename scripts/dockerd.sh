#!/usr/bin/env bash
# The test rig's engine: a Docker engine of the suite's own, so that tests and benchmarks
# never touch the containers, volumes, networks or images of the host they run on.
#
#   scripts/dockerd.sh start   starts Debian's dockerd on its own socket, data root, exec root,
#                              pid file and bridge, inside a network namespace of its own
#                              (varan-test), unless this run's engine answers already
#   scripts/dockerd.sh stop    stops that engine, and only if this run started it; removes the
#                              namespace and the host's NAT rule for it
#   scripts/dockerd.sh env     prints the DOCKER_HOST line for the private engine
#   scripts/dockerd.sh exec CMD...  runs CMD in the engine's network namespace, where the ports
#                              its containers publish and the registries it pulls from (on
#                              127.0.0.1) are, when DOCKER_HOST is the private engine; else
#                              runs CMD as it is
#   scripts/dockerd.sh host    the demo's engine: makes sure the host's engine answers on
#                              /var/run/docker.sock, starting Debian's dockerd if none does
#
# Why a network namespace: a dockerd shares the iptables chains (DOCKER, DOCKER-ISOLATION-*)
# and the bridges of its network namespace with any other dockerd there; a second one beside a
# running host engine rewrote those chains and removed the host's docker0 bridge. In its own
# namespace the private engine has its own loopback, bridge (varan-test0) and iptables; it
# reaches the outside (Debian's mirror, for image builds) through a veth pair and one
# MASQUERADE rule on the host, both removed by `stop`.
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
netns=varan-test
bridge=varan-test0
# The veth pair between the host and the namespace, on a /30 of their own.
veth_host=varan-vt0 veth_ns=varan-vt1
veth_net=10.215.0.0/30 veth_host_ip=10.215.0.1 veth_ns_ip=10.215.0.2
# A /24 for the bridge and a pool for the networks compose makes, away from Docker's defaults
# (172.17-31.x, 192.168.x).
bridge_cidr=10.213.0.1/24
pool=10.214.0.0/16

answers() { curl -sf --max-time 3 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1; }
# nsenter, not `ip netns exec`: that one remounts /sys in a mount namespace of its own, which
# hides the cgroup hierarchy dockerd needs ("Devices cgroup isn't mounted").
in_ns() { nsenter --net="/run/netns/$netns" "$@"; }

# The owner file holds "<pid> <token>"; the token is this shell's run id (VARAN_TEST_RUN_ID, set
# by scripts/test.sh), so that a second run on the same machine never stops the first run's engine.
owner_file=$run/owner

# The host's side: rules tagged with a comment so that `stop` removes exactly these.
nat_rule=(-t nat POSTROUTING -s "$veth_net" ! -o "$veth_host" -m comment --comment varan-test
  -j MASQUERADE)
fwd_out=(FORWARD -i "$veth_host" -m comment --comment varan-test -j ACCEPT)
fwd_in=(FORWARD -o "$veth_host" -m conntrack --ctstate RELATED,ESTABLISHED -m comment
  --comment varan-test -j ACCEPT)
rule() { # rule add|del ARGS...: one iptables rule, added at most once
  local op=$1
  shift
  local table=()
  if [[ $1 == -t ]]; then table=(-t "$2"); shift 2; fi
  local chain=$1
  shift
  if [[ $op == add ]]; then
    iptables "${table[@]}" -C "$chain" "$@" 2>/dev/null || iptables "${table[@]}" -I "$chain" 1 "$@"
  else
    while iptables "${table[@]}" -C "$chain" "$@" 2>/dev/null; do
      iptables "${table[@]}" -D "$chain" "$@"
    done
  fi
}

netns_down() {
  ip netns del "$netns" 2>/dev/null || true
  ip link del "$veth_host" 2>/dev/null || true
  if command -v iptables >/dev/null; then
    rule del "${nat_rule[@]}" || true
    rule del "${fwd_out[@]}" || true
    rule del "${fwd_in[@]}" || true
  fi
  if [[ -f $run/ip_forward ]]; then
    sysctl -q -w "net.ipv4.ip_forward=$(cat "$run/ip_forward")" >/dev/null || true
    rm -f "$run/ip_forward"
  fi
}

netns_up() {
  netns_down
  ip netns add "$netns"
  ip link add "$veth_host" type veth peer name "$veth_ns"
  ip link set "$veth_ns" netns "$netns"
  ip addr add "$veth_host_ip/30" dev "$veth_host"
  ip link set "$veth_host" up
  in_ns ip link set lo up
  in_ns ip addr add "$veth_ns_ip/30" dev "$veth_ns"
  in_ns ip link set "$veth_ns" up
  in_ns ip route add default via "$veth_host_ip"
  in_ns ip link add "$bridge" type bridge
  in_ns ip addr add "$bridge_cidr" dev "$bridge"
  in_ns ip link set "$bridge" up
  # The way out: forwarding on (put back by `stop`), NAT for the /30, and FORWARD rules ahead of
  # a host engine's DROP policy.
  sysctl -n net.ipv4.ip_forward >"$run/ip_forward"
  sysctl -q -w net.ipv4.ip_forward=1 >/dev/null
  rule add "${nat_rule[@]}"
  rule add "${fwd_out[@]}"
  rule add "${fwd_in[@]}"
}

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
  mkdir -p "$run" "$data/docker" "$data/exec"
  if ! netns_up 2>"$run/netns.log"; then
    echo "dockerd: cannot make the network namespace $netns (an unprivileged container?):" >&2
    cat "$run/netns.log" >&2
    netns_down
    exit 1
  fi
  echo "dockerd: starting a private engine on $socket in network namespace $netns" \
    "(data $data/docker, log $run/dockerd.log)" >&2
  # nsenter itself, not the in_ns function: $! is then dockerd's pid (nsenter execs it), not a
  # subshell's that `stop` would kill while dockerd runs on.
  nsenter --net="/run/netns/$netns" dockerd --host "unix://$socket" --data-root "$data/docker" --exec-root "$data/exec" \
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
      netns_down
      exit 1
    fi
    sleep 0.5
  done
  echo "dockerd: the private engine is not answering after 30 s; see $run/dockerd.log" >&2
  exit 1
  ;;
exec)
  shift
  [[ ${DOCKER_HOST:-} == "unix://$socket" ]] || exec "$@"
  if [[ ! -e /run/netns/$netns ]]; then
    echo "dockerd: DOCKER_HOST is the private engine but its network namespace $netns is gone;" \
      "stop that engine (kill \$(cat $run/dockerd.pid)) and start it again" >&2
    exit 1
  fi
  exec nsenter --net="/run/netns/$netns" "$@"
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
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  netns_down
  ;;
*)
  echo "usage: $0 start|stop|env|exec CMD...|host" >&2
  exit 2
  ;;
esac

#!/usr/bin/env bash
# `cmake --install` of a build tree into a staging folder: periphery, sops-decrypt and varan
# in bin/, periphery.service in lib/systemd/system/ pointing at the installed agent; the
# unit passes `systemd-analyze verify` where systemd is present, and the installed agent
# starts, answers GetHealth and stops on SIGTERM.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build=$1
stage=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$stage"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$stage/usr" >"$stage/install.log" || fail "cmake --install failed"
for b in periphery sops-decrypt varan; do
  [[ -x $stage/usr/bin/$b ]] || fail "$b was not installed in bin/: $(cat "$stage/install.log")"
done
unit=$stage/usr/lib/systemd/system/periphery.service
[[ -f $unit ]] || fail "periphery.service was not installed"
grep -qx "ExecStart=$stage/usr/bin/periphery --config-path /etc/komodo/periphery.config.toml" "$unit" ||
  fail "ExecStart does not name the installed agent: $(grep ExecStart "$unit")"
grep -qx 'WantedBy=multi-user.target' "$unit" || fail "the unit is not enabled for multi-user.target"
if command -v systemd-analyze >/dev/null; then
  # verify checks the unit's syntax and that ExecStart's binary exists.
  out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
  grep -i "periphery.service" <<<"$out" | grep -vi "not found\|docker.service" && fail "systemd-analyze verify: $out"
fi

"$stage/usr/bin/periphery" --version | grep -q "Komodo Periphery API" || fail "the installed agent does not run"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'port = %s\nbind_ip = "127.0.0.1"\nroot_directory = "%s/komodo"\nssl_enabled = false\npasskeys = ["install-test-pk"]\n' "$port" "$stage" >"$stage/p.toml"
"$stage/usr/bin/periphery" --config-path "$stage/p.toml" 2>"$stage/agent.log" &
pid=$!
for _ in $(seq 1 100); do
  out=$(curl -s -H 'content-type: application/json' -H 'authorization: install-test-pk' \
    -d '{"type":"GetHealth","params":{}}' "http://127.0.0.1:$port/" 2>/dev/null) && break
  sleep 0.1
done
[[ ${out:-} == "{}" ]] || fail "the installed agent did not answer GetHealth: $(cat "$stage/agent.log")"
kill -TERM $pid
for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "the agent did not stop on SIGTERM"
pid=
echo "PASS: installed periphery, sops-decrypt, varan and periphery.service"

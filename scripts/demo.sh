#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (run as root): installs what it needs,
# builds Varan, then shows `varan age` generating a key, encrypting a demo file for two
# recipients (one made by the reference age-keygen) and decrypting it again.
set -euo pipefail
cd "$(dirname "$0")/.."
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

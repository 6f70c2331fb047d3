#!/usr/bin/env bash
# Makes the base image `Dockerfile.periphery` starts from, `debian:12`, on a machine that
# reaches Debian's package mirror but no container registry: debootstrap (minbase) of
# bookworm into a folder, imported into the local engine under that name.
# Nothing is done when the engine already has the image; the root filesystem tarball is
# kept in /var/cache/varan so a removed image is imported again without a new debootstrap.
# Usage: scripts/base_image.sh [image name]   (DOCKER_SOCKET, DEBIAN_MIRROR to override)
set -euo pipefail
image=${1:-debian:12}
# The engine of DOCKER_HOST (the suite's private one under scripts/test.sh), else the host's.
socket=${DOCKER_SOCKET:-/var/run/docker.sock}
[[ ${DOCKER_HOST:-} == unix://* ]] && socket=${DOCKER_HOST#unix://}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=/var/cache/varan
tarball=$cache/debian-12-minbase.tar

engine() { curl -sf --unix-socket "$socket" "$@"; }

if engine "http://localhost/images/$image/json" >/dev/null; then
  echo "base image: $image is already in the engine" >&2
  exit 0
fi
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
mkdir -p "$cache"
if [[ ! -s $tarball ]]; then
  root=$(mktemp -d /var/tmp/varan-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "base image: debootstrap --variant=minbase bookworm from $mirror" >&2
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap.log" >&2
    echo "base image: debootstrap failed (full log: $cache/debootstrap.log)" >&2
    exit 1
  }
  # As Docker's official image: no apt caches, the Debian mirror for apt.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
repo=${image%%:*} tag=${image#*:}
[[ $tag == "$image" ]] && tag=latest
echo "base image: importing $tarball as $image" >&2
engine -X POST -H 'Content-Type: application/x-tar' --data-binary "@$tarball" \
  "http://localhost/images/create?fromSrc=-&repo=$repo&tag=$tag" >/dev/null
engine "http://localhost/images/$image/json" >/dev/null
echo "base image: $image ready" >&2

#!/usr/bin/env bash
# Make a Debian bookworm image with Python 3.11 from Debian's own packages, for machines
# that can reach Debian's mirror but no container registry (so `FROM python:3.11-slim`
# cannot be pulled). Idempotent: does nothing when the image already exists.
#
#   scripts/local-base-image.sh [IMAGE]      default IMAGE: localhost/llmchain-base:bookworm
#
# Needs root, podman (or docker) and debootstrap. Then build the app on it:
#   BASE_IMAGE=localhost/llmchain-base:bookworm make image
set -euo pipefail

IMAGE="${1:-localhost/llmchain-base:bookworm}"
SUITE="${SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ENGINE="${ENGINE:-$(command -v podman || command -v docker || true)}"

if [ -z "$ENGINE" ]; then
  echo "local-base-image: neither podman nor docker is installed" >&2
  exit 1
fi
if "$ENGINE" image exists "$IMAGE" 2>/dev/null || "$ENGINE" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "local-base-image: $IMAGE exists; nothing to do"
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  echo "local-base-image: debootstrap is not installed (apt-get install debootstrap)" >&2
  exit 1
fi

rootfs="$(mktemp -d /tmp/llmchain-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "local-base-image: debootstrap $SUITE into $rootfs (about a minute)"
debootstrap --variant=minbase \
  --include=python3,python3-venv,python3-pip,ca-certificates \
  "$SUITE" "$rootfs" "$MIRROR" >/dev/null
# Trim what a runtime base does not need.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
tar -C "$rootfs" -c . | "$ENGINE" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  - "$IMAGE" >/dev/null
echo "local-base-image: made $IMAGE"

#!/usr/bin/env bash
# `make lock`: every lock file from its input, with hashes, for any platform on Python 3.11+.
#   requirements-dev.lock        <- requirements-dev.txt (tests and tools: everything below too)
#   requirements.lock            <- requirements.txt (the Pulumi program)
#   app/requirements.lock        <- app/requirements.txt (the service: the image's base)
#   app/requirements/<p>.lock    <- app/requirements.txt + app/requirements/<p>.txt (a provider)
# The dev lock is resolved first and constrains the others, so a package has one version in
# all of them and any of them install together. uv keeps the versions a lock already holds
# unless an input needs others; `UPGRADE=1 make lock` moves everything to the newest allowed.
# https://docs.astral.sh/uv/pip/compile/ (read 2026-11-29)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
UV="${UV:-$root/venv/bin/uv}"
compile=("$UV" pip compile --quiet --generate-hashes --universal --python-version 3.11
  --custom-compile-command "make lock")
if [ "${UPGRADE:-0}" = 1 ]; then compile+=(--upgrade); fi

"${compile[@]}" requirements-dev.txt -o requirements-dev.lock
"${compile[@]}" -c requirements-dev.lock requirements.txt -o requirements.lock
# From app/, the image's build context, so that the locks' paths read as they do there.
cd app
"${compile[@]}" -c ../requirements-dev.lock requirements.txt -o requirements.lock
for input in requirements/*.txt; do
  "${compile[@]}" -c ../requirements-dev.lock requirements.txt "$input" -o "${input%.txt}.lock"
done

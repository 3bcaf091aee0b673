#!/usr/bin/env bash
# Installs the system libraries the package links against (libsodium, OpenBLAS)
# when they are missing. Runs `apt-get update` only when something must be installed.
set -euo pipefail

packages=(libsodium-dev libopenblas-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain (6.3) is not on PATH; install it from swift.org and retry." >&2
  exit 1
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo)
else
  echo "error: missing packages: ${missing[*]}" >&2
  echo "       run 'make deps' as root, or install them yourself:" >&2
  echo "       sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
"${run[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

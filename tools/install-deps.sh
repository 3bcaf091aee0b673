#!/usr/bin/env bash
# Installs the Debian packages given as arguments when they are missing; without arguments,
# the system libraries the package links against (libsodium, OpenBLAS). Runs `apt-get update`
# only when something must be installed, and starts no service while installing (a test that
# needs sshd starts its own).
set -euo pipefail

if [ $# -gt 0 ]; then packages=("$@"); else packages=(libsodium-dev libopenblas-dev pkg-config); fi
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
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${run[@]}" tee "$policy" >/dev/null
  "${run[@]}" chmod 755 "$policy"
  trap '"${run[@]}" rm -f "$policy"' EXIT
fi
"${run[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs the Debian packages Madoguchi needs, when they are missing.
#   deploy/system-packages.sh          what the product needs (WeasyPrint, fonts, qpdf to join the letters)
#   deploy/system-packages.sh --test   also what the tests need (Chromium, redis-server)
set -euo pipefail

packages=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
          fonts-morisawa-bizud-gothic fonts-morisawa-bizud-mincho qpdf)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium redis-server)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "Missing system packages (install them with your package manager): ${missing[*]}" >&2
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "Missing system packages; run as root or with sudo: apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

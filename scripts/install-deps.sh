#!/usr/bin/env bash
# System packages tokio-tax needs beyond the Rust toolchain: fontconfig and a
# font for the charts (plotters), and valgrind for the iai-callgrind benches.
# Installs only what is missing (Debian; run as root).
set -euo pipefail
need=()
dpkg -s libfontconfig1-dev >/dev/null 2>&1 || need+=(libfontconfig1-dev)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "installing: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"

#!/usr/bin/env bash
# Install what the iai-callgrind benches need: valgrind, and the
# iai-callgrind-runner binary at exactly the version of the iai-callgrind
# library in Cargo.lock (the bench harness refuses a runner of another version).
#
#   scripts/setup-iai.sh
#
# Does nothing for a tool that is already there. Installing valgrind uses
# apt-get (as root, or through sudo); the runner is built by `cargo install`,
# which takes a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v valgrind >/dev/null 2>&1; then
  echo "valgrind: $(valgrind --version) already installed"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "error: valgrind is missing and installing it needs root (or sudo)" >&2
      exit 1
    }
    sudo=sudo
  fi
  echo "valgrind: not found; installing it with apt-get (apt-get update, then apt-get install valgrind)"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind
  echo "valgrind: $(valgrind --version) installed"
fi

# The version line that follows `name = "iai-callgrind"` in Cargo.lock.
version=$(awk '
  /^name = "iai-callgrind"$/ { found = 1; next }
  found && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)
if [ -z "$version" ]; then
  echo "error: no iai-callgrind package in Cargo.lock; is it a dependency of a bench?" >&2
  exit 1
fi

# The runner has no --version (its first argument is the library version it
# must match), so ask cargo which version it installed.
installed=$(cargo install --list | awk '$1 == "iai-callgrind-runner" { sub(/^v/, "", $2); sub(/:$/, "", $2); print $2 }')
if [ "$installed" = "$version" ] && command -v iai-callgrind-runner >/dev/null 2>&1; then
  echo "iai-callgrind-runner: $version already installed, as Cargo.lock wants"
else
  echo "iai-callgrind-runner: ${installed:-not installed}; Cargo.lock wants $version, installing it (cargo install, a minute or two)"
  cargo install iai-callgrind-runner --version "$version" --locked
  if ! command -v iai-callgrind-runner >/dev/null 2>&1; then
    echo "error: iai-callgrind-runner was installed in ${CARGO_HOME:-$HOME/.cargo}/bin, which is not on PATH; add it" >&2
    exit 1
  fi
  echo "iai-callgrind-runner: $version installed"
fi

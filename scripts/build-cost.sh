#!/usr/bin/env bash
# Release binary size and clean build time of the same pipeline binary
# (engine/examples/jsonl_pipeline.rs) built without and with the engine's
# `tokio` feature. Each build starts from an empty target directory, so the
# time covers every dependency. Writes reports/build-cost.json, which
# `tokio-tax compare` reads into the report's "claims vs measured" table.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-reports/build-cost.json}
work=target/build-cost
jobs=${BUILD_COST_JOBS:-$(nproc)}

build() { # name features...
  local name=$1; shift
  rm -rf "$work/$name"
  local start end
  start=$(date +%s.%N)
  cargo build --quiet --release --locked -j "$jobs" -p tokio-tax-engine --example jsonl_pipeline \
    --no-default-features "$@" --target-dir "$work/$name"
  end=$(date +%s.%N)
  local bin="$work/$name/release/examples/jsonl_pipeline"
  strip -o "$bin.stripped" "$bin"
  echo "$name $(stat -c %s "$bin.stripped") $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
}

echo "building the sync-only pipeline from scratch (no tokio)..." >&2
read -r _ sync_bytes sync_s < <(build sync)
echo "building the tokio pipeline from scratch..." >&2
read -r _ tokio_bytes tokio_s < <(build tokio --features tokio)
if cargo tree -p tokio-tax-engine --no-default-features -e normal --prefix none | grep -q '^tokio '; then
  echo "error: the sync-only build depends on tokio" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
cat > "$out" <<JSON
{
  "sync_binary_bytes": $sync_bytes,
  "tokio_binary_bytes": $tokio_bytes,
  "sync_build_s": $sync_s,
  "tokio_build_s": $tokio_s
}
JSON
echo "stripped binary: sync $sync_bytes bytes, tokio $tokio_bytes bytes; clean build: sync ${sync_s}s, tokio ${tokio_s}s" >&2
echo "wrote $out" >&2

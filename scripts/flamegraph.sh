#!/usr/bin/env bash
# Flamegraphs of one scenario in every mode, plus sync-vs-tokio differential
# flamegraphs: scripts/flamegraph.sh nexmark-q5 [extra compare flags]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: scripts/flamegraph.sh SCENARIO [compare flags]}
shift
out=reports/flamegraph/$scenario
cargo build --release --quiet -p tokio-tax
./target/release/tokio-tax compare "$scenario" --profile --reps 3 --warmup 0 --no-ceiling \
  --history-db none --out "$out" "$@"
ls "$out"/profiles/"$scenario"/*.svg

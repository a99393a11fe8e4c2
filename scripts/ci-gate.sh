#!/usr/bin/env bash
# The deterministic CI gate: run every iai-callgrind bench of the workspace,
# then compare the instruction counts with reports/baseline/iai.json.
#
#   scripts/ci-gate.sh            gate; exits 1 when a bench grew past its limit
#   scripts/ci-gate.sh --update   write the current counts as the new baseline
#
# The exit status is the gate's (`tokio-tax gate --iai`).
set -euo pipefail
cd "$(dirname "$0")/.."

update=()
case "${1:-}" in
  "") ;;
  --update) update=(--update-iai-baseline) ;;
  *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

scripts/setup-iai.sh

# Summaries of renamed or deleted benches would otherwise be gated too.
iai_home="$PWD/target/iai"
export IAI_CALLGRIND_HOME="$iai_home" IAI_CALLGRIND_SAVE_SUMMARY=json
rm -rf "$iai_home"

for package in tokio-tax-engine tokio-tax; do
  echo "== instruction counts: $package"
  cargo bench --locked --bench iai -p "$package"
done

echo "== gate against reports/baseline/iai.json"
exec cargo run --locked --release -p tokio-tax -- gate \
  --iai "$iai_home" --iai-baseline reports/baseline/iai.json "${update[@]}"

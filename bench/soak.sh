#!/usr/bin/env bash
# Soak: the release gateway against the mock HeyGen for a while under a mixed
# workload (reads; billable submissions settled by status reads and by signed
# webhooks; idempotent retries; uploads; refusals; injected upstream 503s; a
# SIGHUP reload every 15 s). Every SOAK_REPORT_SECONDS (default 60) it prints
# the gateway's RSS, peak RSS and open descriptors (from /proc) and fails on
# growth past the bounds in tests/soak/proc_stats.rs; it fails on any 5xx
# the workload did not inject, on unexpected statuses, on holds left open,
# and, when the binary has `heygen-gateway ledger verify`, on a failed audit
# (skipped with a message otherwise).
#
# The driver is tests/soak.rs (the same test runs ~90 s in `cargo test`
# against the debug binary); this script points it at a release build.
#
# Usage: bench/soak.sh [minutes]     (default 30)
# Knobs (environment):
#   SOAK_BIN=path            gateway binary (default: cargo build --release)
#   SOAK_REPORT_SECONDS=60   sampling interval
#   SOAK_WORKERS=4           concurrent clients
#   SOAK_TLS=1               HeyGen over HTTPS with HTTP/2 (the production path)
set -euo pipefail

MINUTES=${1:-30}
[[ $MINUTES =~ ^[0-9]+$ && $MINUTES -gt 0 ]] || { echo "usage: $0 [minutes]" >&2; exit 64; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [[ -z ${SOAK_BIN:-} ]]; then
    echo "building the release binary (a few minutes on a small machine)..." >&2
    cargo build --locked --release --quiet --bin heygen-gateway
    SOAK_BIN=$ROOT/target/release/heygen-gateway
fi
[[ -x $SOAK_BIN ]] || { echo "soak.sh: no gateway binary at $SOAK_BIN" >&2; exit 1; }

export SOAK_BIN
export SOAK_SECONDS=$((MINUTES * 60))
export SOAK_REPORT_SECONDS=${SOAK_REPORT_SECONDS:-60}
exec cargo test --locked --test soak -- --nocapture --exact \
    soak_mixed_workload_keeps_memory_descriptors_and_ledger_sound

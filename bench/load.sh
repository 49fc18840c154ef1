#!/usr/bin/env bash
# Proxy load benchmark: what the gateway costs on top of a plain HTTP hop.
#
# Starts the mock HeyGen (`heygen-gateway mock-upstream --auto-complete 30`)
# and a dist-built gateway on loopback with a SQLite ledger (or
# LOAD_STORE_URL, e.g. a postgres:// URL), then drives, each for a bounded
# time and a bounded number of requests:
#   baseline  GET  /v2/avatars          straight at the mock (the plain hop)
#   read      GET  /v2/avatars          through the gateway (free read route)
#   billable  POST /v2/video/generate   through the gateway (hold → forward → submit)
# and prints requests/s and p50/p99 latency for each. Traffic goes to
# 127.0.0.1 only. Needs wrk (apt-get install -y wrk), or oha, or hey.
#
# Usage: bench/load.sh            (builds `cargo build --profile dist` first)
# Knobs (environment):
#   LOAD_DURATION=10      seconds per scenario (upper bound)
#   LOAD_MAX=1000000      requests per scenario (upper bound; with wrk a run
#                         that hits it reports req/s as a lower bound, "(capped)")
#   LOAD_CONNECTIONS=32   concurrent connections
#   LOAD_THREADS=2        client threads (wrk)
#   LOAD_BIN=path         use this gateway binary instead of building one
#   LOAD_STORE_URL=url    ledger URL (default: SQLite in a temp dir)
#   LOAD_TOOL=wrk|oha|hey force a load tool
set -euo pipefail

DURATION=${LOAD_DURATION:-10}
MAX=${LOAD_MAX:-1000000}
CONNS=${LOAD_CONNECTIONS:-32}
THREADS=${LOAD_THREADS:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

ORG_KEY=sk_bench_org_key_0123456789
TENANT_TOKEN=hgw_bench_tenant_5f3c9a1e7d2b4c6a8e0f1d3b5a7c9e2f
ADMIN_TOKEN=bench_admin_token_0123456789
BODY='{"video_inputs":[{"voice":{"type":"silence","duration":3.0}}]}'

die() { echo "load.sh: $*" >&2; exit 1; }

tool=${LOAD_TOOL:-}
if [[ -z $tool ]]; then
    for t in wrk oha hey; do
        if command -v "$t" >/dev/null; then tool=$t; break; fi
    done
fi
[[ -n $tool ]] || die "no load tool: install wrk (apt-get install -y wrk), oha or hey"
command -v curl >/dev/null || die "curl is needed for the readiness probes"

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
BIN=$(bench_bin "${LOAD_BIN:-}")
[[ -x $BIN ]] || die "no gateway binary at $BIN"

bench_workdir hg-load
MOCK_PORT=$(free_port 18090)
GW_PORT=$(free_port 18080)
ADMIN_PORT=$(free_port 19091)
[[ $GW_PORT != "$MOCK_PORT" && $ADMIN_PORT != "$GW_PORT" ]] || die "port clash; set other ports"
MOCK=http://127.0.0.1:$MOCK_PORT
GW=http://127.0.0.1:$GW_PORT

store=${LOAD_STORE_URL:-sqlite://$WORK/ledger.db}
gateway_toml "$GW_PORT" "$ADMIN_PORT" "$MOCK" "$store" "Load benchmark"

wait_http() { # url what pid
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { cat "$WORK"/*.log >&2; die "$2 exited"; }
        sleep 0.1
    done
    cat "$WORK"/*.log >&2
    die "$2 not ready"
}

HEYGEN_API_KEY=$ORG_KEY "$BIN" mock-upstream --listen "127.0.0.1:$MOCK_PORT" \
    --auto-complete 30 >"$WORK/mock.log" 2>&1 &
PIDS+=($!)
mock_pid=$!
HEYGEN_API_KEY=$ORG_KEY HEYGEN_GATEWAY_ADMIN_TOKEN=$ADMIN_TOKEN HEYGEN_GATEWAY_LOG=warn \
    "$BIN" serve --config "$WORK/gateway.toml" >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
gw_pid=$!
wait_http "http://127.0.0.1:$ADMIN_PORT/readyz" gateway "$gw_pid"
curl -fsS -o /dev/null -H "X-Api-Key: $ORG_KEY" "$MOCK/v2/avatars" || die "mock not answering"
kill -0 "$mock_pid" || die "mock exited"
# One billable request first: it must be accepted, or the figures mean nothing.
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "X-Api-Key: $TENANT_TOKEN" \
    -H 'Content-Type: application/json' --data "$BODY" "$GW/v2/video/generate")
[[ $code == 200 ]] || die "a billable request got $code (see $WORK/gateway.log)"

cat >"$WORK/load.lua" <<'EOF'
-- Optional POST body from the environment; stop each thread after
-- LOAD_MAX_PER_THREAD responses; print one machine-readable line. wrk keeps
-- its clock running for -d even when every thread stopped early, so a run
-- that hit the cap reports a rate that is only a lower bound: flag it.
local body = os.getenv("LOAD_BODY")
if body and body ~= "" then
    wrk.method = "POST"
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
end
local max = tonumber(os.getenv("LOAD_MAX_PER_THREAD") or "0") or 0
local seen = 0
function response(status, headers, body)
    seen = seen + 1
    if max > 0 and seen >= max then wrk.thread:stop() end
end
function done(summary, latency, requests)
    local e = summary.errors
    local cap = tonumber(os.getenv("LOAD_MAX") or "0") or 0
    local capped = (cap > 0 and summary.requests >= cap) and "(capped)" or ""
    io.write(string.format("RESULT %.0f%s %.2f %.2f %d %d\n",
        summary.requests / (summary.duration / 1e6), capped,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        summary.requests, e.status + e.connect + e.read + e.write + e.timeout))
end
EOF

# run NAME URL KEY [BODY] → "NAME rps p50_ms p99_ms requests errors"
run() {
    local name=$1 url=$2 key=$3 body=${4:-}
    local out
    case $tool in
    wrk)
        out=$(LOAD_BODY=$body LOAD_MAX=$MAX LOAD_MAX_PER_THREAD=$(((MAX + THREADS - 1) / THREADS)) \
            wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
            -H "X-Api-Key: $key" -s "$WORK/load.lua" "$url" | grep '^RESULT')
        echo "$name ${out#RESULT }"
        ;;
    oha)
        local args=(-n "$MAX" -c "$CONNS" --no-tui -H "X-Api-Key: $key" --output-format json)
        [[ -n $body ]] && args+=(-m POST -T application/json -d "$body")
        out=$(timeout $((DURATION + 60)) oha "${args[@]}" "$url")
        echo "$name $(jq -r '[.summary.requestsPerSec, .latencyPercentiles.p50 * 1000,
            .latencyPercentiles.p99 * 1000, ([.statusCodeDistribution[]] | add),
            ([.statusCodeDistribution | to_entries[] | select(.key | startswith("2") | not) | .value] | add // 0)]
            | map(tostring) | join(" ")' <<<"$out")"
        ;;
    hey)
        local args=(-n "$MAX" -c "$CONNS" -H "X-Api-Key: $key")
        [[ -n $body ]] && args+=(-m POST -T application/json -d "$body")
        out=$(timeout $((DURATION + 60)) hey "${args[@]}" "$url")
        local rps p50 p99 n
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '/ 50% in/ {print $3 * 1000}' <<<"$out")
        p99=$(awk '/ 99% in/ {print $3 * 1000}' <<<"$out")
        n=$(awk '/\[[0-9]+\]/ {s += $2} END {print s}' <<<"$out")
        echo "$name $rps $p50 $p99 $n $(awk '/\[[0-9]+\]/ && $1 !~ /^\[2/ {s += $2} END {print s + 0}' <<<"$out")"
        ;;
    *) die "unknown tool $tool" ;;
    esac
}

echo "tool: $tool, $CONNS connections, at most ${DURATION}s and $MAX requests per scenario" >&2
results=$(
    run baseline "$MOCK/v2/avatars" "$ORG_KEY"
    run read "$GW/v2/avatars" "$TENANT_TOKEN"
    run billable "$GW/v2/video/generate" "$TENANT_TOKEN" "$BODY"
)
printf '%-10s %16s %9s %9s %9s %7s\n' scenario 'req/s' 'p50 ms' 'p99 ms' requests errors
while read -r name rps p50 p99 n err; do
    printf '%-10s %16s %9s %9s %9s %7s\n' "$name" "$rps" "$p50" "$p99" "$n" "$err"
done <<<"$results"
holds=$(curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" \
    "http://127.0.0.1:$ADMIN_PORT/admin/v1/holds?limit=100000" | jq '.data | length' 2>/dev/null || echo '?')
echo "ledger: $holds holds after the run ($store)" >&2

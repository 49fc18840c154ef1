#!/usr/bin/env bash
# User-space instructions per free read, counted exactly by valgrind's
# callgrind: the figure for A/B comparisons of the hot path on a machine
# whose speed drifts (timings there move by a third within minutes; an
# instruction count does not). Kernel work (syscalls, loopback TCP) is not
# counted; bench/compare.sh measures the whole.
#
# It starts a static nginx upstream (as compare.sh does) and the gateway
# under callgrind with one I/O thread, sends warm-up reads uncounted, then
# counts CMP_IR_REQUESTS reads (GET $CMP_PATH, keep-alive, 4 connections)
# and prints instructions per request, the top functions, and the report
# file's path.
#
# Usage: bench/instructions.sh   (needs valgrind, nginx, python3, curl)
# Knobs: CMP_BIN=path (gateway binary; default: a dist build),
#        CMP_IR_REQUESTS=20000, CMP_IR_OUT=file (keep the callgrind report),
#        CMP_PATH=/v2/video_translate/target_languages (default; passed
#        through as is) or /v2/avatars (a list filtered to the tenant's own),
#        CMP_TLS=1 (the upstream serves HTTPS with HTTP/2 offered, as in
#        compare.sh: the gateway's HTTP/2 client path)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REQUESTS=${CMP_IR_REQUESTS:-20000}
ORG_KEY=sk_bench_org_key_0123456789
TENANT_TOKEN=hgw_bench_tenant_5f3c9a1e7d2b4c6a8e0f1d3b5a7c9e2f

die() { echo "instructions.sh: $*" >&2; exit 1; }
for tool in valgrind callgrind_control callgrind_annotate python3 curl; do
    command -v "$tool" >/dev/null || die "no $tool: apt-get install -y valgrind python3 curl"
done
NGINX=${CMP_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x $NGINX ]] || die "no nginx: apt-get install -y nginx"

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
BIN=$(bench_bin "${CMP_BIN:-}")
bench_workdir hg-instructions
chmod 755 "$WORK"
UP_PORT=$(free_port 28190)
GW_PORT=$(free_port $((UP_PORT + 1)))
ADMIN_PORT=$(free_port $((GW_PORT + 1)))

UP_URL=http://127.0.0.1:$UP_PORT
CA_LINE=
if [[ -n ${CMP_TLS:-} ]]; then
    tls_files
    UP_URL=https://localhost:$UP_PORT
    CA_LINE="ca_file = \"$WORK/ca.pem\""
fi
static_upstream_conf "$UP_PORT" "${CMP_TLS:-}"
gateway_toml "$GW_PORT" "$ADMIN_PORT" "$UP_URL" "sqlite://$WORK/ledger.db" \
    "Instruction count" "io_threads = 1" "$CA_LINE"

"$NGINX" -c "$WORK/upstream.conf" -p "$WORK" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
OUT=${CMP_IR_OUT:-$WORK/callgrind.out}
HEYGEN_API_KEY=$ORG_KEY HEYGEN_GATEWAY_ADMIN_TOKEN=x HEYGEN_GATEWAY_LOG=warn \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" \
    "$BIN" serve --config "$WORK/gateway.toml" >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
gw_pid=$!

for _ in $(seq 1 600); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $TENANT_TOKEN" \
        "http://127.0.0.1:$GW_PORT$READ_PATH") == 200 ]] && break
    sleep 0.2
done
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $TENANT_TOKEN" \
    "http://127.0.0.1:$GW_PORT$READ_PATH") == 200 ]] || { cat "$WORK/gateway.log" >&2; die "gateway not answering"; }

# A fixed count of keep-alive reads on 4 connections (wrk runs for a time,
# not a count).
send() { # n
    python3 - "$1" "$GW_PORT" "$TENANT_TOKEN" "$READ_PATH" <<'PY'
import http.client, sys, threading
n, port, key, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
done = [0] * 4
def run(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n // 4):
        c.request("GET", path, headers={"X-Api-Key": key})
        r = c.getresponse()
        r.read()
        done[i] += r.status == 200
threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(done))
PY
}
send 2000 >/dev/null
callgrind_control -i on "$gw_pid" >/dev/null 2>&1
sent=$(send "$REQUESTS")
callgrind_control -i off "$gw_pid" >/dev/null 2>&1
callgrind_control -d "$gw_pid" >/dev/null 2>&1
sleep 1
kill "$gw_pid" 2>/dev/null || true
wait "$gw_pid" 2>/dev/null || true

# The explicit dump (the largest file); the one written at exit is empty.
report=$(ls -S "$OUT"* | head -1)
callgrind_annotate --threshold=60 "$report" >"$WORK/annotated" 2>/dev/null
total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$WORK/annotated")
echo "requests counted: $sent"
awk -v t="$total" -v n="$sent" 'BEGIN { printf "user-space instructions per request: %.0f\n", t / n }'
sed -n '/^Ir/,$p' "$WORK/annotated" | head -40
[[ -n ${CMP_IR_OUT:-} ]] && echo "report: $report"

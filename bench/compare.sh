#!/usr/bin/env bash
# Side-by-side hot-path benchmark: the gateway against nginx doing the same work.
#
# In one run, on loopback, it starts
#   upstream  a static nginx answering the read with a fixed JSON body,
#             and 401 unless X-Api-Key carries the org key (HeyGen's role);
#   nginx     nginx as the proxy: the same tenant-key check (a map of tenant
#             keys), the org key injected, keep-alive to the upstream;
#   gateway   the dist-built gateway (SQLite ledger, logs at warn, metrics
#             and rate limiting on) in front of the same upstream;
# then drives a free read (GET $CMP_PATH) through each with wrk and prints
# req/s, p50/p99, CPU time per request of each server (user and system
# apart), the gateway's peak RSS and the gateway:nginx ratios.
#
# Usage: bench/compare.sh   (builds `cargo build --profile dist` first; needs nginx and
#                            wrk: apt-get install -y nginx wrk)
# Knobs: CMP_DURATION=10 (s per run), CMP_CONNECTIONS=32, CMP_THREADS=2,
#        CMP_ROUNDS=3 (nginx and the gateway are each run this many times,
#        alternating, the first of a round taking turns; each round's
#        ratios are printed and the verdict is their median: on shared
#        cores one run of each is at the mercy of whatever else ran then),
#        CMP_BIN=path (gateway binary), CMP_NGINX=path (nginx binary),
#        CMP_PERF=file (record a perf profile of the gateway's run into file),
#        CMP_PERF_CALL_GRAPH=fp (perf's --call-graph; the dist build keeps no
#        frame pointers, so `fp` stacks stop at libc: `dwarf,16384` shows
#        who called memmove or clock_gettime, at ~100x the file size: 68 MB
#        for a 2 s round),
#        CMP_IO_THREADS=n (the gateway's server.io_threads; default one per core),
#        CMP_PATH=/v2/video_translate/target_languages (default: names
#        nothing a tenant owns, so both proxies do exactly the same work) or
#        /v2/avatars (a list the gateway filters to the tenant's own
#        avatars, with a ledger look-up of its ids, which nginx does not do),
#        CMP_TLS=1 (the upstream serves HTTPS with HTTP/2 offered over ALPN, as
#        HeyGen does, from the test CA in tests/data/tls: the gateway speaks
#        HTTP/2 to it, trusting the CA through upstream.ca_file; nginx, whose
#        proxy module speaks HTTP/1.1 only, keeps TLS connections alive and
#        verifies the certificate too; needs openssl),
#        CMP_BASELINE="hyper raw" (also run bench/baseline, the smallest proxy
#        doing the same key check and injection, in each mode listed: `hyper`
#        is hyper's HTTP/1 server and client as the gateway uses them, `raw`
#        its own HTTP/1 on both sides; the rows show what the HTTP library
#        costs and what the gateway's stages add; needs cargo),
#        CMP_ALLOCS=1 (then count the gateway's heap allocations per request in
#        an extra 2 s run: uprobes on mimalloc's entry points, needs root; the
#        count is exact where timings are noisy, but slows that run ~20×)
# Results vary with the machine; run it on a quiet one and compare within one run.
set -euo pipefail

DURATION=${CMP_DURATION:-10}
ROUNDS=${CMP_ROUNDS:-3}
CONNS=${CMP_CONNECTIONS:-32}
THREADS=${CMP_THREADS:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IO_THREADS_LINE=${CMP_IO_THREADS:+io_threads = $CMP_IO_THREADS}
ORG_KEY=sk_bench_org_key_0123456789
TENANT_TOKEN=hgw_bench_tenant_5f3c9a1e7d2b4c6a8e0f1d3b5a7c9e2f
ADMIN_TOKEN=bench_admin_token_0123456789

die() { echo "compare.sh: $*" >&2; exit 1; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "CMP_ROUNDS must be a whole number of at least 1, not '$ROUNDS'"

NGINX=${CMP_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x $NGINX ]] || die "no nginx: apt-get install -y nginx"
command -v wrk >/dev/null || die "no wrk: apt-get install -y wrk"
command -v curl >/dev/null || die "curl is needed for readiness probes"

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
BIN=$(bench_bin "${CMP_BIN:-}")
[[ -x $BIN ]] || die "no gateway binary at $BIN"

bench_workdir hg-compare
chmod 755 "$WORK"
UP_PORT=$(free_port 28090)
NGX_PORT=$(free_port $((UP_PORT + 1)))
GW_PORT=$(free_port $((NGX_PORT + 1)))
ADMIN_PORT=$(free_port $((GW_PORT + 1)))

# Where both proxies reach "HeyGen"; with CMP_TLS over HTTPS, verified.
UP_URL=http://127.0.0.1:$UP_PORT
NGX_UPSTREAM="proxy_pass http://heygen;"
GW_UPSTREAM_LINE=
UP_CURL=()
if [[ -n ${CMP_TLS:-} ]]; then
    tls_files
    UP_URL=https://localhost:$UP_PORT
    NGX_UPSTREAM="proxy_pass https://heygen;
            proxy_ssl_server_name on;
            proxy_ssl_name localhost;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $WORK/ca.pem;
            proxy_ssl_session_reuse on;"
    GW_UPSTREAM_LINE="ca_file = \"$WORK/ca.pem\""
    UP_CURL=(--cacert "$WORK/ca.pem")
fi
static_upstream_conf "$UP_PORT" "${CMP_TLS:-}"

# The proxy's key check: a map from the tenant key to a tenant id, as the
# gateway's digest table does; unknown keys get 401 before anything is sent.
nginx_conf proxy "
    map_hash_bucket_size 128;
    map \$http_x_api_key \$tenant {
        default \"\";
        \"$TENANT_TOKEN\" bench;
    }
    upstream heygen { server 127.0.0.1:$UP_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$NGX_PORT;
        location / {
            if (\$tenant = \"\") { return 401; }
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header X-Api-Key \"$ORG_KEY\";
            $NGX_UPSTREAM
        }
    }"

gateway_toml "$GW_PORT" "$ADMIN_PORT" "$UP_URL" "sqlite://$WORK/ledger.db" \
    "Compare benchmark" "$IO_THREADS_LINE" "$GW_UPSTREAM_LINE"

wait_ok() { # url key what [curl options]
    for _ in $(seq 1 300); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $2" "${@:4}" "$1") == 200 ]] && return 0
        sleep 0.1
    done
    cat "$WORK"/*.log >&2 2>/dev/null || true
    die "$3 not answering 200 at $1"
}

"$NGINX" -c "$WORK/upstream.conf" -p "$WORK" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
up_pid=$!
"$NGINX" -c "$WORK/proxy.conf" -p "$WORK" >"$WORK/proxy.log" 2>&1 &
PIDS+=($!)
ngx_pid=$!
HEYGEN_API_KEY=$ORG_KEY HEYGEN_GATEWAY_ADMIN_TOKEN=$ADMIN_TOKEN HEYGEN_GATEWAY_LOG=warn \
    "$BIN" serve --config "$WORK/gateway.toml" >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
gw_pid=$!

# The baselines (bench/baseline) in front of the same upstream, one per mode.
BASELINES=()
if [[ -n ${CMP_BASELINE:-} ]]; then
    [[ -z ${CMP_TLS:-} ]] || die "CMP_BASELINE speaks plain HTTP upstream only"
    cargo build -q --release --manifest-path "$ROOT/bench/baseline/Cargo.toml" \
        --target-dir "$ROOT/target/baseline" || die "building bench/baseline failed"
    port=$((ADMIN_PORT + 1))
    for mode in ${CMP_BASELINE//,/ }; do
        port=$(free_port $((port + 1)))
        HEYGEN_API_KEY=$ORG_KEY "$ROOT/target/baseline/release/heygen-baseline-proxy" \
            --listen "127.0.0.1:$port" --upstream "127.0.0.1:$UP_PORT" --mode "$mode" \
            --tenant-sha256 "$(printf %s "$TENANT_TOKEN" | sha256sum | cut -d' ' -f1)" \
            >"$WORK/baseline-$mode.log" 2>&1 &
        PIDS+=($!)
        BASELINES+=("$mode:$port:$!")
    done
fi

wait_ok "$UP_URL$READ_PATH" "$ORG_KEY" upstream "${UP_CURL[@]}"
wait_ok "http://127.0.0.1:$NGX_PORT$READ_PATH" "$TENANT_TOKEN" "nginx proxy"
wait_ok "http://127.0.0.1:$GW_PORT$READ_PATH" "$TENANT_TOKEN" gateway
for b in "${BASELINES[@]}"; do
    IFS=: read -r mode port _ <<<"$b"
    wait_ok "http://127.0.0.1:$port$READ_PATH" "$TENANT_TOKEN" "baseline ($mode)"
done
# Every proxy must refuse a wrong key, or the comparison is unfair.
for port in "$NGX_PORT" "$GW_PORT" $(for b in "${BASELINES[@]}"; do cut -d: -f2 <<<"$b"; done); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Api-Key: wrong' "http://127.0.0.1:$port$READ_PATH")
    [[ $code == 401 ]] || die "proxy on $port answered $code to a wrong key"
done

cat >"$WORK/report.lua" <<'EOF'
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %.0f %.2f %.2f %d\n",
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.status + e.connect + e.read + e.write + e.timeout))
end
EOF

# CPU time of a process and its children (nginx's workers), in clock
# ticks: user and system apart. With wrk and both nginx instances sharing
# the cores, CPU per request is the figure least moved by contention; the
# split shows where a difference lies (the kernel's share of a proxied
# request, loopback TCP and syscalls, is nearly the same for both proxies).
cpu_ticks() { # pid -> "user system"
    local user=0 sys=0 p f u s
    for p in "$1" $(pgrep -P "$1" || true); do
        # Fields 14 and 15 of /proc/PID/stat, after the ")" that ends comm.
        f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        read -r u s < <(awk '{print $12, $13}' <<<"$f")
        user=$((user + u))
        sys=$((sys + s))
    done
    echo "$user $sys"
}

# Also the upstream's CPU during each proxy's run: on these shared cores
# what the stand-in for HeyGen spends per request (more for 32 TLS
# HTTP/1.1 connections than for one HTTP/2 connection) moves throughput,
# though a real HeyGen does not run on the proxy's machine.
run() { # name base_url key pid
    local out u0 s0 u1 s1 up0 up1
    read -r u0 s0 < <(cpu_ticks "$4")
    up0=$(cpu_ticks "$up_pid" | awk '{print $1 + $2}')
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -H "X-Api-Key: $3" \
        -s "$WORK/report.lua" "$2$READ_PATH" | grep '^RESULT')
    read -r u1 s1 < <(cpu_ticks "$4")
    up1=$(cpu_ticks "$up_pid" | awk '{print $1 + $2}')
    echo "$1 ${out#RESULT } $((u1 - u0 + s1 - s0)) $((u1 - u0)) $((s1 - s0)) $((up1 - up0))"
}

echo "wrk -t$THREADS -c$CONNS -d${DURATION}s, free read GET $READ_PATH, upstream $UP_URL, $ROUNDS round(s)" >&2
proxies() { # round -> runs nginx and the gateway, named name#round, first in turns
    local ngx=(nginx "http://127.0.0.1:$NGX_PORT" "$TENANT_TOKEN" "$ngx_pid")
    if (($1 % 2)); then
        run "${ngx[@]}" | sed "s/^nginx /nginx#$1 /"
        run_gateway "$1"
    else
        run_gateway "$1"
        run "${ngx[@]}" | sed "s/^nginx /nginx#$1 /"
    fi
}
run_gateway() { # round
    if [[ -n ${CMP_PERF:-} && $1 == 1 ]]; then
        perf record -q --call-graph "${CMP_PERF_CALL_GRAPH:-fp}" -p "$gw_pid" -o "$CMP_PERF" \
            -- sleep "$DURATION" >/dev/null 2>"$WORK/perf.err" &
        perf_pid=$!
    fi
    run gateway "http://127.0.0.1:$GW_PORT" "$TENANT_TOKEN" "$gw_pid" | sed "s/^gateway /gateway#$1 /"
    # Said, not swallowed: this runs inside a command substitution, where
    # `set -e` is off and perf's own message would be lost.
    if [[ -n ${CMP_PERF:-} && $1 == 1 ]] && ! wait "$perf_pid"; then
        echo "compare.sh: perf record failed: $(cat "$WORK/perf.err")" >&2
    fi
}
results=$(
    run upstream "$UP_URL" "$ORG_KEY" "$up_pid"
    for round in $(seq 1 "$ROUNDS"); do proxies "$round"; done
    for b in "${BASELINES[@]}"; do
        IFS=: read -r mode port pid <<<"$b"
        run "base-$mode" "http://127.0.0.1:$port" "$TENANT_TOKEN" "$pid"
    done
)
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$gw_pid/status")

# CPU µs per request: ticks × (10^6 / ticks per second) ÷ requests.
hz=$(getconf CLK_TCK)
per_req() { # ticks rps
    awk -v t="$1" -v hz="$hz" -v r="$2" -v d="$DURATION" \
        'BEGIN { printf "%.1f", (r > 0 ? t * 1e6 / hz / (r * d) : 0) }'
}
# 'µ' is two bytes, so its column is one wider in the format.
printf '%-10s %10s %8s %8s %7s %12s %6s %6s %13s\n' target 'req/s' 'p50 ms' 'p99 ms' errors \
    'CPU µs/req' user system 'upstream µs'
while read -r name rps p50 p99 err ticks user sys up; do
    printf '%-10s %10s %8s %8s %7s %11s %6s %6s %12s\n' "$name" "$rps" "$p50" "$p99" "$err" \
        "$(per_req "$ticks" "$rps")" "$(per_req "$user" "$rps")" "$(per_req "$sys" "$rps")" \
        "$(per_req "$up" "$rps")"
done <<<"$results"
# Each round's ratios, then their medians (the middle round's, or the mean
# of the two middle ones): the verdict.
awk -v rounds="$ROUNDS" '
    function median(v, n,    i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
            t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
        }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    { split($1, who, "#"); r = who[2] }
    who[1] == "nginx" { n[r] = $0 }
    who[1] == "gateway" { g[r] = $0 }
    END {
        for (r = 1; r <= rounds; r++) {
            split(n[r], a, " "); split(g[r], b, " ")
            tp[r] = b[2] / a[2]; p99[r] = b[4] / a[4]
            cpu[r] = (b[6] / b[2]) / (a[6] / a[2])
            usr[r] = (b[7] / b[2]) / (a[7] / a[2]); sys[r] = (b[8] / b[2]) / (a[8] / a[2])
            up[r] = ((b[6] + b[9]) / b[2]) / ((a[6] + a[9]) / a[2])
            line = sprintf("throughput %.2fx, p99 %.2fx, CPU per request %.2fx (user %.2fx, system %.2fx; with the upstream'"'"'s %.2fx)",
                tp[r], p99[r], cpu[r], usr[r], sys[r], up[r])
            if (rounds > 1) printf "round %d, gateway/nginx: %s\n", r, line
            ahead += tp[r] >= 1; below += p99[r] <= 1
        }
        if (rounds > 1)
            printf "gateway/nginx, median of %d rounds: throughput %.2fx, p99 %.2fx, CPU per request %.2fx (user %.2fx, system %.2fx; with the upstream'"'"'s %.2fx); throughput at or above nginx'"'"'s in %d of %d rounds, p99 at or below in %d\n",
                rounds, median(tp, rounds), median(p99, rounds), median(cpu, rounds),
                median(usr, rounds), median(sys, rounds), median(up, rounds), ahead, rounds, below
        else
            printf "gateway/nginx: %s\n", line
    }' <<<"$results"
echo "gateway peak RSS: $((rss_kib / 1024)) MiB"
ngx=$(awk '$1 == "nginx#1"' <<<"$results")
while read -r name rps _ p99 _ ticks _; do
    [[ $name == base-* ]] || continue
    awk -v n="$ngx" -v name="$name" -v r="$rps" -v p="$p99" -v t="$ticks" 'BEGIN {
        split(n, a, " ");
        printf "%s/nginx (round 1'"'"'s nginx): throughput %.2fx, p99 %.2fx, CPU per request %.2fx\n",
            name, r / a[2], p / a[4], (t / r) / (a[6] / a[2]) }'
done <<<"$results"

if [[ -n ${CMP_ALLOCS:-} ]]; then
    # The Rust allocator API reaches mimalloc through these three; every
    # response is one writev to wrk and one to the upstream (2 per request).
    probes=()
    for f in mi_malloc_aligned mi_zalloc_aligned mi_realloc_aligned; do
        perf probe -q -x "$BIN" -d "probe_cmp:$f" >/dev/null 2>&1 || true
        perf probe -q -x "$BIN" --add "probe_cmp:$f=$f" >/dev/null 2>&1 ||
            die "perf probe on $f failed (root and uprobes needed)"
        probes+=("probe_cmp:$f")
    done
    events=$(IFS=,; echo "${probes[*]},syscalls:sys_enter_writev")
    perf stat -x, -e "$events" -p "$gw_pid" -o "$WORK/allocs.csv" -- sleep 2 >/dev/null 2>&1 &
    stat_pid=$!
    wrk -t"$THREADS" -c"$CONNS" -d2s --timeout 10s -H "X-Api-Key: $TENANT_TOKEN" \
        "http://127.0.0.1:$GW_PORT$READ_PATH" >/dev/null
    wait "$stat_pid"
    for p in "${probes[@]}"; do perf probe -q -d "$p" >/dev/null 2>&1 || true; done
    awk -F, '$3 ~ /^probe_cmp/ { a += $1 } $3 ~ /writev/ { w = $1 }
        END { if (w > 0) printf "gateway heap allocations per request: %.1f\n", a / (w / 2) }' "$WORK/allocs.csv"
fi

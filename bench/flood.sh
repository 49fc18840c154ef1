#!/usr/bin/env bash
# Connection flood: one client address opens FLOOD_SOCKETS (default 20,000)
# TCP connections to the dist-built gateway — half idle from the first byte,
# half stalled inside their request head — while a tenant on another
# loopback address (127.0.0.2) keeps making requests. Prints the gateway's
# peak RSS and open descriptors, how many flood sockets it accepted, shed
# and closed, and the tenant's latency during the flood; fails if any tenant
# request fails or takes longer than FLOOD_MAX_MS (default 1000).
#
# The gateway runs with its defaults (max_connections 10,000,
# max_connections_per_ip 256, idle and header timeouts 10 s), so the flood
# is mostly shed at accept. Figures go in the README ("Under faults").
#
# Usage: bench/flood.sh     Knobs: FLOOD_SOCKETS, FLOOD_SECONDS (20),
#                           FLOOD_MAX_MS, FLOOD_BIN (skip the build)
set -euo pipefail

SOCKETS=${FLOOD_SOCKETS:-20000}
SECONDS_=${FLOOD_SECONDS:-20}
MAX_MS=${FLOOD_MAX_MS:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ORG_KEY=sk_bench_org_key_0123456789
TENANT_TOKEN=hgw_bench_tenant_5f3c9a1e7d2b4c6a8e0f1d3b5a7c9e2f
ADMIN_TOKEN=bench_admin_token_0123456789
die() { echo "flood.sh: $*" >&2; exit 1; }

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
BIN=$(bench_bin "${FLOOD_BIN:-}")
[[ -x $BIN ]] || die "no gateway binary at $BIN"

bench_workdir hg-flood
MOCK_PORT=$(free_port 18190)
GW_PORT=$(free_port 18180)
ADMIN_PORT=$(free_port 19191)
hash=$(printf %s "$TENANT_TOKEN" | sha256sum | cut -d' ' -f1)
cat >"$WORK/gateway.toml" <<EOF
[server]
listen = "127.0.0.1:$GW_PORT"
admin_listen = "127.0.0.1:$ADMIN_PORT"
[upstream]
api_url = "http://127.0.0.1:$MOCK_PORT"
upload_url = "http://127.0.0.1:$MOCK_PORT"
[store]
url = "sqlite://$WORK/ledger.db"
[metrics]
quota_poll_seconds = 0
[[tenants]]
id = "bench"
name = "Flood benchmark"
keys = ["sha256:$hash"]
limits = { requests_per_minute = 100000, burst = 10000 }
EOF
HEYGEN_API_KEY=$ORG_KEY "$BIN" mock-upstream --listen "127.0.0.1:$MOCK_PORT" >"$WORK/mock.log" 2>&1 &
PIDS+=($!)
HEYGEN_API_KEY=$ORG_KEY HEYGEN_GATEWAY_ADMIN_TOKEN=$ADMIN_TOKEN HEYGEN_GATEWAY_LOG=warn \
    "$BIN" serve --config "$WORK/gateway.toml" >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
GW_PID=$!
for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$ADMIN_PORT/readyz" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$ADMIN_PORT/readyz" || die "gateway not ready ($WORK/gateway.log)"

python3 - "$GW_PID" "$GW_PORT" "$ADMIN_PORT" "$SOCKETS" "$SECONDS_" "$MAX_MS" "$TENANT_TOKEN" <<'PY'
import multiprocessing as mp, os, resource, socket, sys, time, urllib.request, threading

pid, port, admin, n, seconds, max_ms, token = sys.argv[1:]
port, admin, n, seconds, max_ms = int(port), int(admin), int(n), int(seconds), int(max_ms)
PER_PROCESS = 8000  # well under a typical 20,000 descriptor limit

def flood(count, seconds, out):
    """Opens `count` sockets from 127.0.0.1 (every other one stalls inside
    its request head), holds them `seconds`, reports (opened, closed)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            s.close()
    time.sleep(0.5)
    for s in socks[::2]:
        try: s.send(b"GET /v2/avatars HTTP/1.1\r\nHost: x\r\n")
        except OSError: pass
    time.sleep(seconds)
    closed = 0
    for s in socks:
        try:
            if s.recv(1) == b"": closed += 1
        except BlockingIOError: pass
        except OSError: closed += 1
    out.put((len(socks), closed))

def proc(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
def fds():
    return len(os.listdir(f"/proc/{pid}/fd"))
def metric(name):
    with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics") as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name):
                return line.split()[-1]

rss0, fd0 = proc("VmRSS:"), fds()
latencies, failures = [], []
stop = threading.Event()
def tenant():
    while not stop.is_set():
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        t0 = time.monotonic()
        try:
            s.settimeout(5)
            s.connect(("127.0.0.1", port))
            s.sendall(f"GET /v2/avatars HTTP/1.1\r\nHost: x\r\nX-Api-Key: {token}\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
            if not head.startswith(b"HTTP/1.1 200"):
                failures.append(head[:40])
            latencies.append((time.monotonic() - t0) * 1000)
        except OSError as e:
            failures.append(repr(e))
        finally:
            s.close()
        time.sleep(0.2)
t = threading.Thread(target=tenant); t.start()

out = mp.Queue()
chunks = [min(PER_PROCESS, n - i) for i in range(0, n, PER_PROCESS)]
procs = [mp.Process(target=flood, args=(c, seconds, out)) for c in chunks]
for p in procs: p.start()
peak_rss, peak_fd = rss0, fd0
end = time.monotonic() + seconds + 1
while time.monotonic() < end:
    peak_rss, peak_fd = max(peak_rss, proc("VmRSS:")), max(peak_fd, fds())
    time.sleep(0.5)
results = [out.get() for _ in procs]
for p in procs: p.join()
stop.set(); t.join()
opened = sum(r[0] for r in results); closed = sum(r[1] for r in results)
shed = metric('heygen_gateway_connections_shed_total{limit="per_ip",listener="tenant"}')
lat = sorted(latencies)
p50 = lat[len(lat)//2] if lat else -1
print(f"flood: {opened} of {n} sockets opened from 127.0.0.1 in {len(procs)} processes, held {seconds} s")
print(f"gateway RSS {rss0} KiB -> peak {peak_rss} KiB; descriptors {fd0} -> peak {peak_fd}")
print(f"flood sockets closed by the gateway: {closed} of {opened}; shed at accept (per address): {shed}")
print(f"tenant from 127.0.0.2: {len(lat)} requests, p50 {p50:.1f} ms, max {lat[-1] if lat else -1:.1f} ms, failures {len(failures)}")
if failures or not lat or lat[-1] > max_ms:
    print("FAIL", failures[:3]); sys.exit(1)
PY

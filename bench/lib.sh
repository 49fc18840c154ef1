# Sourced by the bench scripts (load.sh, compare.sh, flood.sh,
# instructions.sh): the gateway binary to run, a work directory removed with
# every process started, free loopback ports, and the configs they share. Needs ROOT (the repository) set by the caller.

# The gateway binary: $1 when given (a *_BIN knob), else the build that
# ships: Cargo's `dist` profile (release with whole-program LTO), as
# deploy/Dockerfile builds it.
bench_bin() {
    if [[ -n ${1:-} ]]; then
        echo "$1"
        return
    fi
    echo "building the dist binary (several minutes on a small machine)..." >&2
    (cd "$ROOT" && cargo build --locked --profile dist --quiet --bin heygen-gateway) >&2
    echo "$ROOT/target/dist/heygen-gateway"
}

# WORK (a new temp dir named after $1) and PIDS; on exit every PID is
# killed and waited for and WORK is removed.
bench_workdir() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}

# A loopback port nobody listens on, from $1 upwards.
free_port() {
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

# An nginx config named $1 in $WORK, its http block holding $2; nginx runs
# it in the foreground from $WORK (compare.sh, instructions.sh).
nginx_conf() { # name body
    cat >"$WORK/$1.conf" <<EOF
worker_processes 2;
daemon off;
pid $WORK/$1.pid;
error_log $WORK/$1.error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/$1.body;
    proxy_temp_path $WORK/$1.proxy;
    fastcgi_temp_path $WORK/$1.fcgi;
    uwsgi_temp_path $WORK/$1.uwsgi;
    scgi_temp_path $WORK/$1.scgi;
    keepalive_requests 1000000;
$2
}
EOF
}

# The free read the benches send (CMP_PATH). GET
# /v2/video_translate/target_languages, the default, names nothing a
# tenant owns, so the gateway and nginx-as-proxy do exactly the same work.
# GET /v2/avatars is a list the gateway filters to the tenant's own avatars
# (tenant isolation: it reads the answer's ids and looks their owners up in
# the ledger), work nginx does not do.
READ_PATH=${CMP_PATH:-/v2/video_translate/target_languages}
case $READ_PATH in
    /v2/avatars | /v2/video_translate/target_languages) ;;
    *) echo "CMP_PATH must be /v2/avatars or /v2/video_translate/target_languages" >&2; exit 2 ;;
esac

# $WORK/upstream.conf: a static nginx on port $1 standing in for HeyGen,
# answering GET /v2/avatars with one stock avatar and GET
# /v2/video_translate/target_languages with three languages, 401 unless
# X-Api-Key carries $ORG_KEY.
# $WORK/leaf.pem, leaf.key and ca.pem from the test CA (tests/data/tls,
# a certificate for localhost), for an upstream serving HTTPS (CMP_TLS).
tls_files() {
    command -v openssl >/dev/null || { echo "CMP_TLS needs openssl" >&2; exit 1; }
    openssl x509 -inform der -in "$ROOT/tests/data/tls/leaf.der" -out "$WORK/leaf.pem"
    openssl pkey -inform der -in "$ROOT/tests/data/tls/leaf.key.der" -out "$WORK/leaf.key"
    cp "$ROOT/tests/data/tls/ca.pem" "$WORK/ca.pem"
}

static_upstream_conf() { # port [tls]
    # With tls: HTTPS with $WORK/leaf.pem (a certificate for localhost),
    # HTTP/2 offered over ALPN, as HeyGen serves.
    # `reuseport`: each worker its own listener, the kernel spreading
    # connections by a hash. Without it, the worker that woke first took a
    # proxy's burst of new connections nearly all (the gateway's 32 landed
    # 31/1 while nginx-proxy's, opened more gradually, spread evenly), so
    # one proxy's reads queued at the stand-in for HeyGen and the other's
    # did not.
    local listen="listen 127.0.0.1:$1 reuseport;"
    [[ -z ${2:-} ]] || listen="listen 127.0.0.1:$1 ssl http2 reuseport;
        ssl_certificate $WORK/leaf.pem;
        ssl_certificate_key $WORK/leaf.key;"
    nginx_conf upstream "
    server {
        $listen
        location = /v2/avatars {
            if (\$http_x_api_key != \"$ORG_KEY\") { return 401; }
            default_type application/json;
            return 200 '{\"error\":null,\"data\":{\"avatars\":[{\"avatar_id\":\"Angela-inTshirt-20220820\",\"avatar_name\":\"Angela\"}],\"talking_photos\":[]}}';
        }
        location = /v2/video_translate/target_languages {
            if (\$http_x_api_key != \"$ORG_KEY\") { return 401; }
            default_type application/json;
            return 200 '{\"error\":null,\"data\":{\"languages\":[\"English\",\"Spanish (Spain)\",\"French (France)\"]}}';
        }
    }"
}

# $WORK/gateway.toml for a bench run: tenant "bench" (key $TENANT_TOKEN,
# no practical rate limit), the poller and quota reads idle so they do not
# run during the measurement. $6 and $7 are extra lines for [server] and
# [upstream].
gateway_toml() { # port admin_port upstream_url store_url name [server_line] [upstream_line]
    local hash
    hash=$(printf %s "$TENANT_TOKEN" | sha256sum | cut -d' ' -f1)
    cat >"$WORK/gateway.toml" <<EOF
[server]
listen = "127.0.0.1:$1"
admin_listen = "127.0.0.1:$2"
${6:-}

[upstream]
api_url = "$3"
upload_url = "$3"
${7:-}

[store]
url = "$4"

[settlement]
poll_min_age_seconds = 86400

[metrics]
quota_poll_seconds = 0

[[tenants]]
id = "bench"
name = "$5"
keys = ["sha256:$hash"]
limits = { requests_per_minute = 100000000, burst = 10000000 }
EOF
}

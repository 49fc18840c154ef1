# Sourced by the bench scripts (load.sh, compare.sh, flood.sh): the gateway
# binary to run, a work directory removed with every process started, and
# free loopback ports. Needs ROOT (the repository) set by the caller.

# The gateway binary: $1 when given (a *_BIN knob), else a release build.
bench_bin() {
    if [[ -n ${1:-} ]]; then
        echo "$1"
        return
    fi
    echo "building the release binary (a few minutes on a small machine)..." >&2
    (cd "$ROOT" && cargo build --locked --release --quiet --bin heygen-gateway) >&2
    echo "$ROOT/target/release/heygen-gateway"
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

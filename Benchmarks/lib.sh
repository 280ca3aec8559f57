# Benchmarks/lib.sh — sourced by the benchmark scripts: logging, network namespaces and their clean-up.
# shellcheck shell=bash

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# in_ns NS COMMAND...: runs COMMAND inside network namespace NS.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# NAMESPACES: every namespace made by add_namespace, for end_namespaces.
NAMESPACES=()

# add_namespace NS: a new namespace with loopback up and reverse-path filtering off (the gateway forwards between
# interfaces with asymmetric routes).
add_namespace() {
    ip netns add "$1"
    NAMESPACES+=("$1")
    in_ns "$1" ip link set lo up
    in_ns "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# end_namespaces: ends whatever still runs inside the namespaces made by add_namespace (the script started it, e.g.
# through ip netns exec) and deletes them. For the EXIT trap.
end_namespaces() {
    local ns pid
    for ns in "${NAMESPACES[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    done
    wait 2>/dev/null || true
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

# make_client_gw_host ID: the topology of run.sh and bench.sh, in namespaces ID-client, ID-gw and ID-host:
#   client 10.79.0.1/30 ==veth== 10.79.0.2/30 gw [sstpd] 10.78.0.1/24 ==veth== 10.78.0.2/24 host
# with IP forwarding on in gw and host's default route via gw (gw routes the pool to sstpd's TUN by itself).
make_client_gw_host() {
    local id=$1
    local gw="$id-gw" host="$id-host" client="$id-client"
    add_namespace "$gw"
    add_namespace "$host"
    add_namespace "$client"
    ip link add "${id}gh" netns "$gw" type veth peer name "${id}hg" netns "$host"
    ip link add "${id}gc" netns "$gw" type veth peer name "${id}cg" netns "$client"
    in_ns "$gw" ip addr add 10.78.0.1/24 dev "${id}gh"
    in_ns "$gw" ip addr add 10.79.0.2/30 dev "${id}gc"
    in_ns "$gw" ip link set "${id}gh" up
    in_ns "$gw" ip link set "${id}gc" up
    in_ns "$gw" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$host" ip addr add 10.78.0.2/24 dev "${id}hg"
    in_ns "$host" ip link set "${id}hg" up
    in_ns "$host" ip route add default via 10.78.0.1
    in_ns "$client" ip addr add 10.79.0.1/30 dev "${id}cg"
    in_ns "$client" ip link set "${id}cg" up
}

# resolve_binaries: sets BIN to the release binaries (built first into $SCRATCH unless BUILD=0) when --bin-dir did not
# set it, and checks sstpd, sstpctl and sstp-dial are there. Uses ROOT, SCRATCH, BUILD and BIN.
resolve_binaries() {
    if [[ -z $BIN ]]; then
        if ((BUILD)); then
            log "building (release, scratch path $SCRATCH)"
            (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" 2>&1 | tail -n 3) >&2 || die "release build failed"
        fi
        BIN=$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
    fi
    local exe
    for exe in sstpd sstpctl sstp-dial; do [[ -x $BIN/$exe ]] || die "$BIN/$exe not built"; done
}

# stop_process PID [GRACE]: SIGTERM, up to GRACE seconds (default 6) to exit, then SIGKILL; reaps it when it is the
# script's child. Returns 1 if SIGKILL was needed (callers that only clean up add `|| true`).
stop_process() {
    local pid=$1 grace=${2:-6} i
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < grace * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            return 1
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

# gateway_credentials USER: the test server certificate and key in $WORK (server.pem, server.key 0600), and USER
# with a random password (PASSWORD, also in $WORK/password) in the state file $WORK/state.sqlite. Sets CERTS (the
# fixture directory, whose ca.pem clients trust). Uses ROOT, WORK and BIN.
gateway_credentials() {
    CERTS="$ROOT/Tests/Fixtures/certs"
    install -m 0600 "$CERTS/server.key" "$WORK/server.key"
    install -m 0644 "$CERTS/server.pem" "$WORK/server.pem"
    PASSWORD="$1-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$PASSWORD" >"$WORK/password"
    "$BIN/sstpctl" user add "$1" --password-stdin --state "$WORK/state.sqlite" --socket "$WORK/control.sock" \
        <"$WORK/password" >/dev/null
}

# bench_workspace NAME: sets WORK (a new /tmp/sstp-NAME.XXXXXX) and PIDS (what the script starts in the background
# and wants stopped at exit) and installs the EXIT trap, bench_cleanup.
bench_workspace() {
    WORK=$(mktemp -d "/tmp/sstp-$1.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# bench_cleanup: stops PIDS (newest first) and SSTPD_PID, ends whatever still runs inside the namespaces (the script
# started it, e.g. through ip netns exec) and removes WORK unless the run failed or KEEP_LOGS is 1.
bench_cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_process "${PIDS[i]}" || true; done
    stop_process "${SSTPD_PID:-}" || true
    end_namespaces
    if ((rc != 0 || ${KEEP_LOGS:-0})); then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}

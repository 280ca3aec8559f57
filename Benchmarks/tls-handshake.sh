#!/usr/bin/env bash
# Benchmarks/tls-handshake.sh — the TLS handshake alone: sstpd against OpenSSL's own s_server, same certificate,
# same client (`openssl s_time -new`), in the same run.
#
#   Benchmarks/tls-handshake.sh [--bin-dir DIR] [--seconds N] [--repeats K]
#
# Needs root (sstpd creates its TUN device, here in a network namespace of its own). For each TLS version (1.2 with
# ECDHE-RSA-AES256-GCM-SHA384, 1.3) and server, `s_time -new` opens fresh TLS connections for N seconds (default 5),
# K times (default 3); the server's CPU time (utime + stime from /proc/PID/stat) over the run divided by the
# handshakes is its CPU per handshake. sstpd answers the handshake and then waits for the HTTP request that
# s_time never sends, so only its TLS work is measured; s_server does the same with -quiet and no request.
# This bounds sstpd's full connect rate (issue 7): a full SSTP connect is this handshake plus HTTP, SSTP, PPP,
# MS-CHAPv2, crypto binding and IPCP. Client and server share the machine's CPUs, as in Benchmarks/bench.sh.
# Traffic: loopback inside a namespace created here and deleted on exit.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=
SECONDS_PER_RUN=5
REPEATS=3
while (($#)); do
    case "$1" in
    --bin-dir) BIN=$(cd "$2" && pwd); shift ;;
    --seconds) SECONDS_PER_RUN=$2; shift ;;
    --repeats) REPEATS=$2; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
# shellcheck source=Benchmarks/lib.sh
source "$ROOT/Benchmarks/lib.sh"
[[ $EUID -eq 0 ]] || die "needs root (a network namespace and sstpd's TUN device)"
for tool in openssl ip awk timeout; do command -v "$tool" >/dev/null || die "missing $tool"; done
if [[ -z $BIN ]]; then
    (cd "$ROOT" && swift build -c release 2>&1 | tail -n 1) >&2 || die "release build failed"
    BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)
fi
[[ -x $BIN/sstpd ]] || die "$BIN/sstpd not built"

CERTS="$ROOT/Tests/Fixtures/certs"
WORK=$(mktemp -d /tmp/sstp-tls-handshake.XXXXXX)
NS="th$$"
PIDS=()
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    end_namespaces
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
add_namespace "$NS"

install -m 0600 "$CERTS/server.key" "$WORK/server.key"
cat >"$WORK/sstpd.toml" <<EOF
[listen]
address = "127.0.0.1"
port = 4443
[tls]
certificate = "$CERTS/server.pem"
private_key = "$WORK/server.key"
[pool]
network = "10.77.0.0/24"
gateway = "10.77.0.1"
[tun]
name = "sstp0"
[limits]
max_sessions = 100000
[state]
database = "$WORK/state.sqlite"
[admin]
control_socket = "$WORK/control.sock"
[log]
level = "warning"
EOF
# sstpd drops a connection that sends nothing after the handshake only after its handshake timeout (10 s), so
# thousands are open at once: raise the open-file limit. `ip netns exec` execs the server, so $! is its pid.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ip netns exec "$NS" "$BIN/sstpd" --config "$WORK/sstpd.toml" >"$WORK/sstpd.log" 2>&1 &
SSTPD=$!
PIDS+=("$SSTPD")
ip netns exec "$NS" openssl s_server -quiet -accept 127.0.0.1:4444 -cert "$CERTS/server.pem" -key "$WORK/server.key" \
    -cipher ECDHE-RSA-AES256-GCM-SHA384 >/dev/null 2>&1 &
SSERVER=$!
PIDS+=("$SSERVER")
for ((i = 0; i < 200; i++)); do
    in_ns "$NS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/4443 && exec 4<>/dev/tcp/127.0.0.1/4444' 2>/dev/null && break
    kill -0 "$SSTPD" 2>/dev/null || { cat "$WORK/sstpd.log" >&2; die "sstpd exited"; }
    sleep 0.05
done

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# run NAME PID PORT VERSION-FLAG: one s_time run; prints "handshakes ms-per-handshake handshakes-per-second".
run() {
    local pid=$2 port=$3 flag=$4 before after start end out n
    before=$(cpu "$pid"); start=$(date +%s.%N)
    out=$(in_ns "$NS" timeout $((SECONDS_PER_RUN + 30)) openssl s_time -connect "127.0.0.1:$port" -new \
        -time "$SECONDS_PER_RUN" "$flag" -cipher ECDHE-RSA-AES256-GCM-SHA384 2>&1 | grep "connections in" | tail -n 1)
    end=$(date +%s.%N); after=$(cpu "$pid")
    n=$(awk '{ print $1 }' <<<"$out")
    [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die "$1: s_time made no connection: $out"
    awk -v n="$n" -v cpu=$((after - before)) -v t0="$start" -v t1="$end" \
        'BEGIN { printf "%d %.3f %d\n", n, cpu * 10 / n, n / (t1 - t0) }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '| TLS | server | handshakes per run | server CPU ms per handshake, median (min–max) | handshakes/s, median |\n'
printf '|---|---|---|---|---|\n'
for flag in -tls1_2 -tls1_3; do
    for server in s_server sstpd; do
        if [[ $server == sstpd ]]; then pid=$SSTPD port=4443; else pid=$SSERVER port=4444; fi
        results=()
        for ((r = 1; r <= REPEATS; r++)); do
            results+=("$(run "$server" "$pid" "$port" "$flag")")
            log "$server $flag run $r: ${results[-1]}"
        done
        ms=$(printf '%s\n' "${results[@]}" | awk '{ print $2 }')
        rate=$(printf '%s\n' "${results[@]}" | awk '{ print $3 }' | median)
        count=$(printf '%s\n' "${results[@]}" | awk '{ print $1 }' | median)
        printf '| %s | %s | %s | %s (%s–%s) | %s |\n' "${flag#-}" "$server" "$count" "$(median <<<"$ms")" \
            "$(sort -n <<<"$ms" | head -n 1)" "$(sort -n <<<"$ms" | tail -n 1)" "$rate"
    done
done
kill -0 "$SSTPD" 2>/dev/null || die "sstpd died during the run"
log "ok"

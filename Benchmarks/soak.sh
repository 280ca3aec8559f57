#!/usr/bin/env bash
# Benchmarks/soak.sh — a bounded soak of one sstpd: sessions connect, move data and disconnect continuously; once in
# the middle sstpd is killed (SIGKILL) with sessions up and traffic flowing, and restarted.
#
#   Benchmarks/soak.sh [--seconds N | --short] [--bin-dir DIR | --skip-build] [--sessions N] [--rate PPS]
#                      [--cycle SECONDS] [--churn N] [--no-crash] [--keep-logs]
#
# Needs root (three network namespaces and sstpd's TUN, the topology of bench.sh). For --seconds (default 1800; 60
# with --short, the CI mode) it repeats cycles of:
#   1. traffic: --sessions (16) sessions connect, send UDP both ways at --rate (200) packets/s each for --cycle (10)
#      seconds to a peer socket in the host namespace, and disconnect (`sstp-dial bench --traffic-peer`);
#   2. churn: --churn (50) sessions connect and disconnect at once;
#   3. a sample of sstpd with no session left: RSS (anonymous and file-backed) and file descriptors from /proc,
#      threads, sessions, leases and malloc's heap in use and free (mallinfo2) from `sstpctl status`.
# Half-way (unless --no-crash) a traffic cycle runs in the background; once its sessions are up sstpd gets SIGKILL and
# is started again. Measured: time to "sstpd ready", time until a new client has a tunnel and an echo answered,
# the open records the restart closed as "crash" and the leases it cleared.
# Fails if a cycle fails, if sessions or leases remain when no client is connected, if file descriptors grow by more
# than 8 or RSS by more than 25 % from the first sample to the last (of the same sstpd process), if the heap in use
# less SQLite's page cache grows by more than 10 % over the second half of those samples (with 10 samples or more),
# if the restart does not close every crashed session's record or if a client cannot reconnect. Prints a CSV of the
# samples and markdown rows for BENCHMARKS.md. Every step has a time limit.
#
# Environment: SCRATCH (SwiftPM scratch path, default /tmp/build-bench), PORT (default 4443).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=Benchmarks/lib.sh
source "$ROOT/Benchmarks/lib.sh"
SCRATCH=${SCRATCH:-/tmp/build-bench}
PORT=${PORT:-4443}
BIN=
BUILD=1
KEEP_LOGS=0
SECONDS_TOTAL=1800
SESSIONS=16
RATE=200
CYCLE=10
CHURN=50
CRASH=1

while (($#)); do
    case "$1" in
    --seconds) SECONDS_TOTAL=$2; shift ;;
    --short) SECONDS_TOTAL=60; CYCLE=5; CHURN=20; SESSIONS=8 ;;
    --bin-dir) BIN=$(cd "$2" && pwd); BUILD=0; shift ;;
    --skip-build) BUILD=0 ;;
    --sessions) SESSIONS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --cycle) CYCLE=$2; shift ;;
    --churn) CHURN=$2; shift ;;
    --no-crash) CRASH=0 ;;
    --keep-logs) KEEP_LOGS=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
    esac
    shift
done
[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces, TUN)"
for tool in ip jq; do command -v "$tool" >/dev/null || die "$tool is missing"; done

resolve_binaries

bench_workspace soak
ID="sk$$"
NS_GW="${ID}-gw"; NS_CL="${ID}-client"; NS_HOST="${ID}-host"
SSTPD_PID=

log "namespaces $NS_CL, $NS_GW, $NS_HOST (work dir $WORK)"
make_client_gw_host "$ID"
in_ns "$NS_CL" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="10000 65000"
ulimit -n "$(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) : 65536 ))" 2>/dev/null || true

gateway_credentials soak
cat >"$WORK/sstpd.toml" <<EOF
[listen]
address = "10.79.0.2"
port = $PORT

[tls]
certificate = "$WORK/server.pem"
private_key = "$WORK/server.key"

[pool]
network = "10.77.0.0/22"
gateway = "10.77.0.1"

[tun]
name = "sstp0"

[limits]
max_sessions = $((SESSIONS + CHURN + 100))

[state]
database = "$WORK/state.sqlite"
accounting_flush_interval = 2

[admin]
control_socket = "$WORK/control.sock"

[log]
level = "info"
EOF

# start_sstpd: starts sstpd in the gateway namespace and waits (bounded) for "sstpd ready"; sets SSTPD_PID and
# READY_MS (milliseconds from start to ready).
start_sstpd() {
    local start i
    touch "$WORK/sstpd.log"
    start=$(date +%s%N)
    ip netns exec "$NS_GW" "$BIN/sstpd" --config "$WORK/sstpd.toml" >>"$WORK/sstpd.log" 2>&1 &
    SSTPD_PID=$!
    for ((i = 0; i < 400; i++)); do
        [[ $(grep -c "sstpd ready" "$WORK/sstpd.log") -gt $STARTS ]] && break
        kill -0 "$SSTPD_PID" 2>/dev/null || { tail -n 20 "$WORK/sstpd.log" >&2; die "sstpd exited"; }
        sleep 0.05
    done
    [[ $(grep -c "sstpd ready" "$WORK/sstpd.log") -gt $STARTS ]] || die "sstpd not ready after 20 s"
    STARTS=$((STARTS + 1))
    READY_MS=$(( ($(date +%s%N) - start) / 1000000 ))
}
STARTS=0
start_sstpd
log "sstpd ready (pid $SSTPD_PID, ${READY_MS} ms)"

status() { "$BIN/sstpctl" status --json --socket "$WORK/control.sock"; }
# bench NAME LIMIT ARGS...: sstp-dial bench in the client namespace, JSON in $WORK/NAME.json.
bench() {
    local name=$1 limit=$2 rc=0
    shift 2
    in_ns "$NS_CL" timeout "$limit" "$BIN/sstp-dial" bench --server "10.79.0.2:$PORT" --server-name sstp.example.test \
        --ca "$CERTS/ca.pem" --user soak --password-stdin --timeout 30 --json "$@" \
        <"$WORK/password" >"$WORK/$name.json" 2>"$WORK/$name.err" || rc=$?
    return "$rc"
}
traffic_cycle() { # NAME [SECONDS]
    local duration=${2:-$CYCLE}
    bench "$1" $((duration + 90)) --sessions "$SESSIONS" --rate 0 --parallel 16 --hold 0 --settle 0 \
        --traffic-peer 10.78.0.2:9 --peer-netns "$NS_HOST" --packet-size 1000 --packet-rate "$RATE" \
        --direction both --duration "$duration"
}
# sample CYCLE: one CSV line with sstpd's figures while no client is connected.
sample() {
    local st rss anon file heap fds threads sessions pool
    st=$(status)
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$SSTPD_PID/status")
    anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$SSTPD_PID/status")
    file=$(awk '/^RssFile:/ {print $2}' "/proc/$SSTPD_PID/status")
    # malloc's own figures from sstpctl status (mallinfo2): live heap and free memory it keeps, KiB.
    heap=$(jq -r '[(.memory.heapInUseBytes // 0), (.memory.heapFreeBytes // 0), (.memory.sqliteBytes // 0)]
        | map(. / 1024 | floor) | join(",")' <<<"$st")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$SSTPD_PID/status")
    fds=$(find "/proc/$SSTPD_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
    sessions=$(jq -r '.sessions' <<<"$st")
    pool=$(jq -r '.poolUsed' <<<"$st")
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$(date +%s)" "$1" "$SSTPD_PID" "$rss" "$fds" "$threads" "$sessions" \
        "$pool" "$anon" "$file" "$heap" >>"$WORK/samples.csv"
}
# idle_wait: sessions and leases go back to 0 once the clients are gone (bounded wait; the clients have exited).
idle_wait() {
    local i st
    for ((i = 0; i < 100; i++)); do
        st=$(status)
        [[ $(jq -r '.sessions' <<<"$st") == 0 && $(jq -r '.poolUsed' <<<"$st") == 0 ]] && return 0
        sleep 0.1
    done
    log "FAIL: sessions or leases left with no client: $(jq -c '{sessions, poolUsed}' <<<"$st")"
    return 1
}

echo "time,cycle,pid,rss_kib,fds,threads,sessions,leases,rss_anon_kib,rss_file_kib,heap_in_use_kib,heap_free_kib,sqlite_kib" \
    >"$WORK/samples.csv"
FAILED=0
CYCLES=0
PACKETS=0
CONNECTS=0
CRASHED=0
START=$(date +%s)
END=$((START + SECONDS_TOTAL))
while (($(date +%s) < END)); do
    CYCLES=$((CYCLES + 1))
    if ((CRASH && !CRASHED && $(date +%s) >= START + SECONDS_TOTAL / 2)); then
        CRASHED=1
        log "crash: traffic cycle in the background, SIGKILL sstpd once its $SESSIONS sessions are up"
        # Traffic for longer than the kill takes: the victims are mid-traffic when sstpd dies (their bench then
        # ends with the connections lost).
        traffic_cycle crash-victims 60 &
        VICTIMS=$!
        for ((i = 0; i < 300; i++)); do
            [[ $(status | jq -r '.sessions') -ge $SESSIONS ]] && break
            sleep 0.1
        done
        LIVE=$(status | jq -r '.sessions')
        LEASED=$(status | jq -r '.poolUsed')
        # Let an accounting flush record their traffic (flush interval 2 s).
        sleep 2.5
        kill -KILL "$SSTPD_PID"
        KILLED_AT=$(date +%s%N)
        wait "$SSTPD_PID" 2>/dev/null || true
        start_sstpd
        # The victims' generator would hold its dead sessions until its duration ends: stop it.
        for pid in $(ip netns pids "$NS_CL" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
        wait "$VICTIMS" 2>/dev/null || true
        RESTART_READY_MS=$READY_MS
        RECOVERY_LINE=$(grep "recovered after an unclean shutdown" "$WORK/sstpd.log" | tail -n 1 || true)
        # A new client right away: tunnel up and one echo answered.
        if printf '%s\n' "$PASSWORD" | in_ns "$NS_CL" timeout 30 "$BIN/sstp-dial" --server "10.79.0.2:$PORT" \
            --server-name sstp.example.test --ca "$CERTS/ca.pem" --user soak --password-stdin --check \
            --ping 10.78.0.2 --count 1 >"$WORK/reconnect.log" 2>&1; then
            RECONNECT_MS=$(( ($(date +%s%N) - KILLED_AT) / 1000000 ))
        else
            log "FAIL: no reconnect after the restart"; cat "$WORK/reconnect.log" >&2; FAILED=1; RECONNECT_MS=-1
        fi
        CRASH_RECORDS=$("$BIN/sstpctl" accounting --json --state "$WORK/state.sqlite" --limit 100000 |
            jq '[.[] | select(.stopReason == "crash")] | length')
        log "crash: $LIVE sessions and $LEASED leases live at SIGKILL; restart ready in $RESTART_READY_MS ms;" \
            "first new tunnel + echo $RECONNECT_MS ms after the kill; $CRASH_RECORDS records closed as crash; $RECOVERY_LINE"
        ((CRASH_RECORDS == LIVE)) || { log "FAIL: $LIVE sessions were live, $CRASH_RECORDS records closed as crash"; FAILED=1; }
        idle_wait || FAILED=1
        FIRST_AFTER_CRASH=$CYCLES
        sample "$CYCLES"
        continue
    fi
    traffic_cycle "cycle" || { log "FAIL: traffic cycle $CYCLES: $(tail -n 3 "$WORK/cycle.err")"; FAILED=1; break; }
    jq -e '.established == .sessions and .aliveAtEnd == .sessions and .traffic.uplink.received > 0
        and .traffic.downlink.received > 0' "$WORK/cycle.json" >/dev/null ||
        { log "FAIL: traffic cycle $CYCLES lost a session or moved nothing"; FAILED=1; break; }
    PACKETS=$((PACKETS + $(jq '.traffic.uplink.received + .traffic.downlink.received' "$WORK/cycle.json")))
    CONNECTS=$((CONNECTS + SESSIONS))
    bench churn 120 --sessions "$CHURN" --rate 0 --parallel 16 --hold 0 --settle 0 ||
        { log "FAIL: churn $CYCLES: $(tail -n 3 "$WORK/churn.err")"; FAILED=1; break; }
    jq -e '.established == .sessions' "$WORK/churn.json" >/dev/null || { log "FAIL: churn $CYCLES failed sessions"; FAILED=1; }
    CONNECTS=$((CONNECTS + CHURN))
    idle_wait || { FAILED=1; break; }
    sample "$CYCLES"
done
ELAPSED=$(($(date +%s) - START))

printf '\n== samples (sstpd with no client connected, after each cycle) ==\n'
cat "$WORK/samples.csv"
# The same process from its first sample to its last: before the crash (if it came late) or after it.
PID_LAST=$(tail -n 1 "$WORK/samples.csv" | cut -d, -f3)
read -r FIRST_RSS FIRST_FDS FIRST_ANON FIRST_FILE FIRST_HEAP FIRST_FREE FIRST_SQLITE < <(awk -F, -v p="$PID_LAST" \
    'NR > 1 && $3 == p {print $4, $5, $9, $10, $11, $12, $13; exit}' "$WORK/samples.csv")
read -r LAST_RSS LAST_FDS LAST_ANON LAST_FILE LAST_HEAP LAST_FREE LAST_SQLITE < <(awk -F, -v p="$PID_LAST" \
    'NR > 1 && $3 == p {l = $4 " " $5 " " $9 " " $10 " " $11 " " $12 " " $13} END {print l}' "$WORK/samples.csv")
SAMPLES=$(awk -F, -v p="$PID_LAST" 'NR > 1 && $3 == p' "$WORK/samples.csv" | wc -l)
MAX_RSS=$(awk -F, -v p="$PID_LAST" 'NR > 1 && $3 == p && $4 > m {m = $4} END {print m}' "$WORK/samples.csv")
log "soak: $CYCLES cycles in $ELAPSED s, $CONNECTS sessions, $PACKETS packets delivered; sstpd pid $PID_LAST over" \
    "$SAMPLES samples: RSS $FIRST_RSS → $LAST_RSS KiB (max $MAX_RSS; anonymous $FIRST_ANON → $LAST_ANON, files" \
    "$FIRST_FILE → $LAST_FILE), malloc heap in use $FIRST_HEAP → $LAST_HEAP KiB (SQLite $FIRST_SQLITE → $LAST_SQLITE, free" \
    "$FIRST_FREE → $LAST_FREE)," \
    "fds $FIRST_FDS → $LAST_FDS"
((SAMPLES >= 2)) || log "only $SAMPLES sample(s) of the last sstpd: growth not measurable in so short a run"
if ((SAMPLES >= 2)); then
    ((LAST_FDS <= FIRST_FDS + 8)) || { log "FAIL: file descriptors grew from $FIRST_FDS to $LAST_FDS"; FAILED=1; }
    ((LAST_RSS * 100 <= FIRST_RSS * 125)) || { log "FAIL: RSS grew from $FIRST_RSS to $LAST_RSS KiB"; FAILED=1; }
    # The live heap is the leak detector: what objects hold once every session has ended, less SQLite's page caches
    # (they grow with the state file up to their bound: docs/state-store.md, "Memory"). Judged over the second half
    # of the samples: the first cycles of a process warm its caches (dictionary capacities, TLS and runtime state).
    read -r MID_OWN < <(awk -F, -v p="$PID_LAST" -v n="$SAMPLES" \
        'NR > 1 && $3 == p && ++i == int((n + 1) / 2) {print $11 - $13}' "$WORK/samples.csv")
    LAST_OWN=$((LAST_HEAP - LAST_SQLITE))
    log "heap in use less SQLite's over the second half of the samples: $MID_OWN → $LAST_OWN KiB"
    if ((SAMPLES >= 10)); then
        ((LAST_OWN * 100 <= MID_OWN * 110)) ||
            { log "FAIL: heap in use other than SQLite's grew from $MID_OWN to $LAST_OWN KiB in the second half"; FAILED=1; }
    else
        log "heap growth not judged: $SAMPLES samples are too few to tell growth from warm-up (10 or more are judged)"
    fi
fi

printf '\nMarkdown rows for BENCHMARKS.md (%s, %s vCPUs, binaries from %s):\n\n' \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" "$BIN"
echo "| duration | cycles | sessions connected | packets delivered | sstpd RSS KiB first → last idle sample (max) | of which anonymous / files | malloc heap in use KiB (SQLite's) | fds first → last | sessions / leases left when idle |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| $ELAPSED s | $CYCLES | $CONNECTS | $PACKETS | $FIRST_RSS → $LAST_RSS ($MAX_RSS) | $FIRST_ANON → $LAST_ANON / $FIRST_FILE → $LAST_FILE | $FIRST_HEAP ($FIRST_SQLITE) → $LAST_HEAP ($LAST_SQLITE) | $FIRST_FDS → $LAST_FDS | 0 / 0 |"
if ((CRASHED)); then
    echo
    echo "| sessions live at SIGKILL | restart to ready | kill to first new tunnel + echo | records closed as crash | leases after restart |"
    echo "|---|---|---|---|---|"
    echo "| $LIVE | $RESTART_READY_MS ms | $RECONNECT_MS ms | $CRASH_RECORDS | 0 |"
fi
((FAILED == 0)) || die "the soak failed (see above)"
log "ok"

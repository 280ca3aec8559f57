#!/usr/bin/env bash
# Benchmarks/run.sh — end-to-end benchmarks of sstpd with its own client (sstp-dial), written to BENCHMARKS.md.
#
#   Benchmarks/run.sh [--quick] [--out FILE] [--skip-build] [--bin-dir DIR] [--no-c-reference] [--keep-logs] [--profile]
#                     [--tun-offload]
#
# Measures, in one run (needs root: network namespaces and TUN devices):
#   1. connect time: N sequential `sstp-dial --check --count 1` processes; the "connect N ms" each prints (client
#      handler created right after TCP connect -> IPCP up + Call Connected) and the whole process wall time;
#   2. one session's throughput: sstp-dial in TUN mode (namespace client) -> sstpd (namespace gw) -> TUN ->
#      IP forwarding -> namespace host, iperf3 TCP upload and download, with the CPU time of sstpd and sstp-dial
#      over each run (from /proc/<pid>/stat and /proc/<pid>/task/*/stat), and ping RTT through the tunnel;
#   3. the C reference data path (sstppipe.c from the performance study) in the same run, for a ratio.
# The shared throughput cap with two sessions is measured by Benchmarks/cap.sh; it, the sessions/traffic, offload
# and soak figures (Benchmarks/*-figures.md) are carried into the file unchanged.
# --profile adds one extra (uncounted) iperf3 run per direction with `perf record` on sstpd and sstp-dial, and
# lists where their CPU time goes (self time by library and symbol). --tun-offload runs sstpd with `[tun] offload =
# true` (IFF_VNET_HDR + TSO: TCP arrives as super-packets that sstpd segments; docs/architecture.md, "TUN offload").
#
# Topology (all namespaces are created here and deleted on exit, whatever happens):
#   client 10.79.0.1/30 ==veth== 10.79.0.2/30 gw [sstpd, TUN sstp0 10.77.0.1/24] 10.78.0.1/24 ==veth== 10.78.0.2 host
#   client: sstpc0 = 10.77.0.x/32 from IPCP, route 10.78.0.0/24 dev sstpc0.
# Traffic stays on loopback and inside these namespaces.
#
# Environment: SCRATCH (SwiftPM scratch path, default /tmp/build-bench), SSTPPIPE_SRC (default
# /work/shared/bench/sstppipe.c), PORT (sstpd's port, default 4443), SSTPD_ENV (NAME=VALUE words put in sstpd's
# environment, for experiments such as glibc malloc tunables; recorded in the report).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=full
OUT="$ROOT/BENCHMARKS.md"
SCRATCH=${SCRATCH:-/tmp/build-bench}
SSTPPIPE_SRC=${SSTPPIPE_SRC:-/work/shared/bench/sstppipe.c}
PORT=${PORT:-4443}
SSTPD_ENV=${SSTPD_ENV:-}
BUILD=1
CREF=1
BIN_DIR=""
KEEP_LOGS=0
PROFILE=0
TUN_OFFLOAD=false
COMMAND_LINE="Benchmarks/run.sh $*"

while (($#)); do
    case "$1" in
    --quick) MODE=quick ;;
    --out) OUT=$2; shift ;;
    --skip-build) BUILD=0 ;;
    --bin-dir) BIN_DIR=$2; BUILD=0; shift ;;
    --no-c-reference) CREF=0 ;;
    --keep-logs) KEEP_LOGS=1 ;;
    --profile) PROFILE=1 ;;
    --tun-offload) TUN_OFFLOAD=true ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

if [[ $MODE == quick ]]; then
    DIALS=20; IPERF_SECS=3; REPEATS=1; PINGS=20; CREF_SECS=3
else
    DIALS=100; IPERF_SECS=10; REPEATS=3; PINGS=20; CREF_SECS=5
fi

# shellcheck source=Benchmarks/lib.sh
source "$ROOT/Benchmarks/lib.sh"

[[ $EUID -eq 0 ]] || die "needs root (network namespaces, TUN devices)"
for tool in ip ss stdbuf iperf3 ping jq awk openssl timeout sort; do
    command -v "$tool" >/dev/null || die "missing $tool (apt-get install -y iperf3 iputils-ping jq)"
done

# ---------------------------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------------------------
if ((BUILD)); then
    log "building (release, scratch path $SCRATCH)"
    (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" 2>&1 | tail -n 5) >&2 ||
        die "release build failed (output above); --skip-build runs the binaries already in $SCRATCH"
fi
if [[ -n $BIN_DIR ]]; then
    BIN=$(cd "$BIN_DIR" && pwd)   # e.g. .build/debug in CI: exercises the script; debug figures are not comparable
else
    BIN=$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
fi
for exe in sstpd sstpctl sstp-dial; do [[ -x $BIN/$exe ]] || die "$BIN/$exe not built"; done

# ---------------------------------------------------------------------------------------------------------------
# Work directory, namespaces, cleanup
# ---------------------------------------------------------------------------------------------------------------
bench_workspace bench
ID="sb$$"
NS_GW="${ID}-gw"; NS_HOST="${ID}-host"; NS_CL="${ID}-client"

# wait_for FILE PATTERN SECONDS PID: poll (50 ms) until FILE contains PATTERN; fail if PID dies or time runs out.
wait_for() {
    local file=$1 pattern=$2 secs=$3 pid=$4 i
    for ((i = 0; i < secs * 20; i++)); do
        grep -q -- "$pattern" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$file" >&2; die "process $pid exited before '$pattern'"; }
        sleep 0.05
    done
    cat "$file" >&2
    die "no '$pattern' in $file after ${secs}s"
}


# wait_listen NS PORT SECONDS PID: poll (50 ms) until a TCP socket listens on PORT in NS.
wait_listen() {
    local ns=$1 port=$2 secs=$3 pid=$4 i
    for ((i = 0; i < secs * 20; i++)); do
        [[ -n $(in_ns "$ns" ss -Hltn "sport = :$port") ]] && return 0
        kill -0 "$pid" 2>/dev/null || die "process $pid exited before listening on $port"
        sleep 0.05
    done
    die "nothing listening on port $port in $ns after ${secs}s"
}

# Background load (the VM may be shared): busy share of all CPUs over 2 s before anything starts.
B0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
sleep 2
B1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
BACKGROUND_BUSY=$(awk -v a="$B0" -v b="$B1" 'BEGIN { split(a, A, " "); split(b, B, " ");
    printf "%.0f", (B[1] - A[1]) / (B[2] - A[2]) * 100 }')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "background load: ${BACKGROUND_BUSY}% of all CPUs busy, load average $LOAD_START"

log "namespaces $NS_CL, $NS_GW, $NS_HOST (work dir $WORK)"
make_client_gw_host "$ID"

# ---------------------------------------------------------------------------------------------------------------
# sstpd
# ---------------------------------------------------------------------------------------------------------------
CERTS="$ROOT/Tests/Fixtures/certs"
install -m 0600 "$CERTS/server.key" "$WORK/server.key"
install -m 0644 "$CERTS/server.pem" "$WORK/server.pem"
PASSWORD="bench-$(openssl rand -hex 8)"
"$BIN/sstpctl" user add bench --password-stdin --state "$WORK/state.sqlite" --socket "$WORK/control.sock" <<<"$PASSWORD" >/dev/null
cat >"$WORK/sstpd.toml" <<EOF
[listen]
address = "10.79.0.2"
port = $PORT

[tls]
certificate = "$WORK/server.pem"
private_key = "$WORK/server.key"

[pool]
network = "10.77.0.0/24"
gateway = "10.77.0.1"

[tun]
name = "sstp0"
mtu = 1400
offload = $TUN_OFFLOAD

[state]
database = "$WORK/state.sqlite"

[admin]
control_socket = "$WORK/control.sock"

[log]
level = "info"
EOF
# shellcheck disable=SC2086  # SSTPD_ENV is a list of NAME=VALUE words
ip netns exec "$NS_GW" env $SSTPD_ENV "$BIN/sstpd" --config "$WORK/sstpd.toml" >"$WORK/sstpd.log" 2>&1 &
SSTPD_PID=$!
PIDS+=("$SSTPD_PID")
wait_for "$WORK/sstpd.log" "sstpd ready" 20 "$SSTPD_PID"
log "sstpd ready (pid $SSTPD_PID)"

DIAL=("$BIN/sstp-dial" --server "10.79.0.2:$PORT" --server-name sstp.example.test --ca "$CERTS/ca.pem"
    --user bench --password "$PASSWORD" --timeout 10)

# ---------------------------------------------------------------------------------------------------------------
# Helpers: statistics and CPU accounting
# ---------------------------------------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)

# stats < numbers: "p50 p90 min max n" (nearest-rank percentiles)
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- - - - 0"; exit }
        p50 = int(0.5 * NR + 0.999999); p90 = int(0.9 * NR + 0.999999)
        printf "%s %s %s %s %d\n", v[p50], v[p90], v[1], v[NR], NR }'
}
field() { echo "$1" | awk -v i="$2" '{ print $i }'; }
fmt() { awk -v x="$1" -v p="${2:-1}" 'BEGIN { if (x == "-" || x == "") print "-"; else printf("%." p "f", x) }'; }

cpu_ticks() { # pid -> utime+stime of the whole process (all threads), in clock ticks
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
thread_ticks() { # pid -> "tid ticks name" per thread
    local t
    for t in /proc/"$1"/task/*; do
        [[ -r $t/stat ]] || continue
        printf '%s %s %s\n' "${t##*/}" "$(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }')" \
            "$(tr ' ' '_' <"$t/comm")"
    done
}
system_busy() { # "busy total" jiffies over all CPUs
    awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6; print busy, total }' /proc/stat
}
tun_counters() { # pid -> "rx_bytes rx_packets tx_bytes tx_packets" of sstp0 in that process's namespace
    awk '$1 == "sstp0:" { print $2, $3, $10, $11 }' "/proc/$1/net/dev"
}
proc_detail() { # pid -> "utime stime context-switches" summed over all threads
    local t u=0 k=0 c=0 a b
    for t in /proc/"$1"/task/*; do
        read -r a b < <(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{ print $12, $13 }') || continue
        u=$((u + a)); k=$((k + b))
        c=$((c + $(awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' "$t/status" 2>/dev/null || echo 0)))
    done
    echo "$u $k $c"
}
tun_drops() { # pid iface -> "rx_drop tx_drop" of iface in that process's namespace
    awk -v i="$2:" '$1 == i { print $5, $13 }' "/proc/$1/net/dev"
}
# detail_line NAME before after seconds data-packets: "NAME user U% sys S%, X context switches per data packet"
detail_line() {
    awk -v n="$1" -v a="$2" -v b="$3" -v s="$4" -v p="$5" -v hz="$CLK_TCK" 'BEGIN {
        split(a, A, " "); split(b, B, " ")
        printf "%s user %.0f%% sys %.0f%%, %.2f context switches per data packet", n,
            (B[1] - A[1]) / hz / s * 100, (B[2] - A[2]) / hz / s * 100, (B[3] - A[3]) / (p > 0 ? p : 1) }'
}
# all threads with >= 2 % of a core between two snapshots: "name pct%, name pct%, ..." (busiest first)
thread_list() { # before-file after-file seconds
    awk -v s="$3" -v hz="$CLK_TCK" 'NR == FNR { b[$1] = $2; next }
        { d = ($2 - b[$1]) / hz / s * 100; if (d >= 2) printf "%.0f %s\n", d, $3 }' "$1" "$2" |
        sort -rn | awk '{ printf "%s%s %s%%", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }'
}
# busiest thread between two thread_ticks snapshots: "name percent-of-one-core"
busiest_thread() { # before-file after-file seconds
    awk -v s="$3" -v hz="$CLK_TCK" 'NR == FNR { b[$1] = $2; next }
        { d = $2 - b[$1]; if (d > best) { best = d; name = $3 } }
        END { printf "%s %.0f\n", (name == "" ? "-" : name), best / hz / s * 100 }' "$1" "$2"
}

# ---------------------------------------------------------------------------------------------------------------
# 1. Connect time
# ---------------------------------------------------------------------------------------------------------------
# Runs inside the client namespace (re-entered through `ip netns exec`, so its cost is not in the timings).
cat >"$WORK/dials.sh" <<'EOF'
#!/usr/bin/env bash
# dials.sh N OUT DIAL...: N sequential `sstp-dial --check --ping 10.78.0.2 --count 1`; one line per dial:
# "rc wall_ms connect_ms echo_ms"
n=$1; out=$2; shift 2
for ((i = 1; i <= n; i++)); do
    t0=$EPOCHREALTIME
    text=$(timeout 30 "$@" --check --ping 10.78.0.2 --count 1 2>&1); rc=$?
    t1=$EPOCHREALTIME
    connect=$(sed -n 's/.* connect \([0-9.]*\) ms.*/\1/p' <<<"$text" | head -n 1)
    echo_ms=$(sed -n 's/^reply from .* time=\([0-9.]*\) ms.*/\1/p' <<<"$text" | head -n 1)
    awk -v rc="$rc" -v a="$t0" -v b="$t1" -v c="${connect:--}" -v e="${echo_ms:--}" \
        'BEGIN { printf "%d %.1f %s %s\n", rc, (b - a) * 1000, c, e }' >>"$out"
    ((rc == 0)) || printf '%s\n' "$text" >>"$out.errors"
done
EOF
log "1. $DIALS sequential sstp-dial --check dials"
in_ns "$NS_CL" "${DIAL[@]}" --check --ping 10.78.0.2 --count 1 >"$WORK/warmup.txt" 2>&1 ||
    { cat "$WORK/warmup.txt" >&2; die "warm-up dial failed"; }
DIAL_CPU0=$(cpu_ticks "$SSTPD_PID")
DIALS_T0=$EPOCHREALTIME
in_ns "$NS_CL" timeout $((DIALS * 30 + 30)) bash "$WORK/dials.sh" "$DIALS" "$WORK/dials.txt" "${DIAL[@]}"
DIALS_T1=$EPOCHREALTIME
DIAL_CPU1=$(cpu_ticks "$SSTPD_PID")
DIAL_OK=$(awk '$1 == 0' "$WORK/dials.txt" | wc -l)
CONNECT_STATS=$(awk '$1 == 0 && $3 != "-" { print $3 }' "$WORK/dials.txt" | stats)
WALL_STATS=$(awk '$1 == 0 { print $2 }' "$WORK/dials.txt" | stats)
ECHO_STATS=$(awk '$1 == 0 && $4 != "-" { print $4 }' "$WORK/dials.txt" | stats)
SSTPD_MS_PER_DIAL=$(awk -v a="$DIAL_CPU0" -v b="$DIAL_CPU1" -v hz="$CLK_TCK" -v n="$DIALS" \
    'BEGIN { printf "%.1f", (b - a) / hz * 1000 / n }')
DIALS_PER_S=$(awk -v a="$DIALS_T0" -v b="$DIALS_T1" -v n="$DIALS" 'BEGIN { printf "%.1f", n / (b - a) }')
TLS_DESC=$(sed -n 's/.* tls \([^ ]* [^ ]*\).*/\1/p' "$WORK/warmup.txt" | head -n 1)
BINDING_DESC=$(sed -n 's/.* binding \([^ ]*\).*/\1/p' "$WORK/warmup.txt" | head -n 1)
log "   ok $DIAL_OK/$DIALS; connect ms p50/p90/min/max: $CONNECT_STATS; wall ms: $WALL_STATS"

# ---------------------------------------------------------------------------------------------------------------
# 2. One session: TUN-mode sstp-dial, iperf3, ping
# ---------------------------------------------------------------------------------------------------------------
log "2. TUN-mode session and iperf3 (${IPERF_SECS}s x $REPEATS per direction)"
PING_BASE=$(in_ns "$NS_CL" timeout 30 ping -n -c "$PINGS" -i 0.2 -W 2 10.79.0.2 |
    sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | stats)

ip netns exec "$NS_HOST" iperf3 -s -B 10.78.0.2 -p 5201 >"$WORK/iperf3-server.log" 2>&1 &
IPERF_SERVER_PID=$!
PIDS+=("$IPERF_SERVER_PID")
wait_listen "$NS_HOST" 5201 10 "$IPERF_SERVER_PID"

ip netns exec "$NS_CL" stdbuf -oL -eL "${DIAL[@]}" --tun sstpc0 --route 10.78.0.0/24 >"$WORK/tunnel.log" 2>&1 &
TUNNEL_PID=$!
PIDS+=("$TUNNEL_PID")
wait_for "$WORK/tunnel.log" "tunnel up on" 20 "$TUNNEL_PID"
log "   $(grep -m1 'tunnel up on' "$WORK/tunnel.log")"

PING_TUN=$(in_ns "$NS_CL" timeout 30 ping -n -c "$PINGS" -i 0.2 -W 2 10.78.0.2 |
    sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | stats)
[[ $(field "$PING_TUN" 5) -gt 0 ]] || die "no ping replies through the tunnel"

# One iperf3 run with CPU accounting. Appends to $WORK/runs.txt:
# dir rep mbps secs sstpd_cpu% dial_cpu% sys_busy% sstpd_us_pkt sstpd_us_data dial_us_data pkts data_pkts
#   sstpd_top sstpd_top% dial_top dial_top% iperf_snd% iperf_rcv% retransmits
iperf_run() {
    local dir=$1 rep=$2 flag=() json="$WORK/iperf-$1-$2.json"
    [[ $dir == down ]] && flag=(-R)
    local s0 d0 b0 n0 t0 s1 d1 b1 n1 t1
    thread_ticks "$SSTPD_PID" >"$WORK/th-s0"; thread_ticks "$TUNNEL_PID" >"$WORK/th-d0"
    local ps0 pd0 ps1 pd1 g0 g1 c0 c1
    ps0=$(proc_detail "$SSTPD_PID"); pd0=$(proc_detail "$TUNNEL_PID")
    g0=$(tun_drops "$SSTPD_PID" sstp0); c0=$(tun_drops "$TUNNEL_PID" sstpc0)
    s0=$(cpu_ticks "$SSTPD_PID"); d0=$(cpu_ticks "$TUNNEL_PID"); b0=$(system_busy); n0=$(tun_counters "$SSTPD_PID")
    t0=$EPOCHREALTIME
    in_ns "$NS_CL" timeout $((IPERF_SECS + 20)) iperf3 -c 10.78.0.2 -p 5201 -t "$IPERF_SECS" -O 1 -J "${flag[@]}" \
        >"$json" || die "iperf3 $dir failed: $(jq -r '.error // empty' "$json" 2>/dev/null)"
    t1=$EPOCHREALTIME
    s1=$(cpu_ticks "$SSTPD_PID"); d1=$(cpu_ticks "$TUNNEL_PID"); b1=$(system_busy); n1=$(tun_counters "$SSTPD_PID")
    ps1=$(proc_detail "$SSTPD_PID"); pd1=$(proc_detail "$TUNNEL_PID")
    g1=$(tun_drops "$SSTPD_PID" sstp0); c1=$(tun_drops "$TUNNEL_PID" sstpc0)
    thread_ticks "$SSTPD_PID" >"$WORK/th-s1"; thread_ticks "$TUNNEL_PID" >"$WORK/th-d1"
    local secs mbps ws wd snd rcv retr
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    mbps=$(jq -r '.end.sum_received.bits_per_second / 1e6' "$json")
    snd=$(jq -r '.end.cpu_utilization_percent.host_total' "$json")
    rcv=$(jq -r '.end.cpu_utilization_percent.remote_total' "$json")
    retr=$(jq -r '.end.sum_sent.retransmits // 0' "$json")
    ws=$(busiest_thread "$WORK/th-s0" "$WORK/th-s1" "$secs")
    wd=$(busiest_thread "$WORK/th-d0" "$WORK/th-d1" "$secs")
    local datapk
    datapk=$(awk -v a="$n0" -v b="$n1" 'BEGIN { split(a, A, " "); split(b, B, " ");
        r = B[1] - A[1]; t = B[3] - A[3]; printf "%d", (r > t ? r : t) / 1400 }')
    printf '%s %s %s; %s; TUN drops: sstp0 rx %d tx %d, sstpc0 rx %d tx %d\n' "$dir" "$rep" \
        "$(detail_line sstpd "$ps0" "$ps1" "$secs" "$datapk")" "$(detail_line sstp-dial "$pd0" "$pd1" "$secs" "$datapk")" \
        $(awk -v a="$g0 $c0" -v b="$g1 $c1" 'BEGIN { split(a, A, " "); split(b, B, " ");
            print B[1] - A[1], B[2] - A[2], B[3] - A[3], B[4] - A[4] }') >>"$WORK/threads.txt"
    printf '%s %s sstpd: %s\n' "$dir" "$rep" "$(thread_list "$WORK/th-s0" "$WORK/th-s1" "$secs")" >>"$WORK/threads.txt"
    printf '%s %s sstp-dial: %s\n' "$dir" "$rep" "$(thread_list "$WORK/th-d0" "$WORK/th-d1" "$secs")" >>"$WORK/threads.txt"
    awk -v dir="$dir" -v rep="$rep" -v mbps="$mbps" -v secs="$secs" -v hz="$CLK_TCK" \
        -v s0="$s0" -v s1="$s1" -v d0="$d0" -v d1="$d1" -v b0="$b0" -v b1="$b1" -v n0="$n0" -v n1="$n1" \
        -v ws="$ws" -v wd="$wd" -v snd="$snd" -v rcv="$rcv" -v retr="$retr" 'BEGIN {
        split(b0, B0, " "); split(b1, B1, " "); split(n0, N0, " "); split(n1, N1, " ")
        sc = (s1 - s0) / hz; dc = (d1 - d0) / hz
        # (the max() guards only keep a broken run from dividing by zero; its figures are then visibly wrong)
        pkts = (N1[2] - N0[2]) + (N1[4] - N0[4])                  # sstp0 rx+tx packets, ACKs included
        rxb = N1[1] - N0[1]; txb = N1[3] - N0[3]
        data = (rxb > txb ? rxb : txb) / 1400                      # 1400-byte packet equivalents, data direction
        busy = (B1[1] - B0[1]) / (B1[2] - B0[2]) * 100             # all CPUs (2 = 100 %)
        printf "%s %d %.1f %.2f %.0f %.0f %.0f %.2f %.2f %.2f %d %d %s %s %.1f %.1f %d\n", dir, rep, mbps, secs,
            sc / secs * 100, dc / secs * 100, busy, sc * 1e6 / (pkts > 0 ? pkts : 1),
            sc * 1e6 / (data > 0 ? data : 1), dc * 1e6 / (data > 0 ? data : 1), pkts, data,
            ws, wd, snd, rcv, retr }' >>"$WORK/runs.txt"
    log "   $(tail -n 1 "$WORK/runs.txt")"
}
: >"$WORK/runs.txt"
: >"$WORK/threads.txt"
for ((r = 1; r <= REPEATS; r++)); do
    iperf_run up "$r"
    iperf_run down "$r"
done
: >"$WORK/profile.txt"
if ((PROFILE)) && command -v perf >/dev/null; then
    for dir in up down; do
        flag=(); [[ $dir == down ]] && flag=(-R)
        for who in sstpd sstp-dial; do
            pid=$SSTPD_PID; [[ $who == sstp-dial ]] && pid=$TUNNEL_PID
            log "   profiling $who, $dir (extra ${IPERF_SECS}s run, not counted)"
            perf record -F 1999 -p "$pid" -o "$WORK/perf.data" -- sleep $((IPERF_SECS - 1)) >/dev/null 2>&1 &
            perf_pid=$!
            PIDS+=("$perf_pid")
            in_ns "$NS_CL" timeout $((IPERF_SECS + 20)) iperf3 -c 10.78.0.2 -p 5201 -t "$IPERF_SECS" "${flag[@]}" \
                >/dev/null || log "   iperf3 failed while profiling"
            wait "$perf_pid" || true
            {
                echo "### $who, $dir: self time by library"
                perf report -i "$WORK/perf.data" --stdio --no-children --sort dso --percent-limit 2 2>/dev/null |
                    grep -v '^#' | grep -v '^$' | head -n 12
                echo "### $who, $dir: self time by symbol (>= 0.7 %)"
                perf report -i "$WORK/perf.data" --stdio --no-children --sort dso,sym --percent-limit 0.7 2>/dev/null |
                    grep -v '^#' | grep -v '^$' | head -n 30 | swift demangle --simplified | cut -c1-150
                echo
            } >>"$WORK/profile.txt"
        done
    done
fi
SSTPD_RSS=$(awk '/^VmRSS/ { print $2 }' "/proc/$SSTPD_PID/status")
SSTPD_HWM=$(awk '/^VmHWM/ { print $2 }' "/proc/$SSTPD_PID/status")
SSTPD_THREADS=$(ls "/proc/$SSTPD_PID/task" | wc -l)
TUN_NAME_LINE=$(grep -m1 'tunnel up on' "$WORK/tunnel.log")

TUNNEL_SIGTERM="exited on SIGTERM"
stop_process "$TUNNEL_PID" 3 || TUNNEL_SIGTERM="did NOT exit within 3 s of SIGTERM (killed)"
stop_process "$IPERF_SERVER_PID" || true

# ---------------------------------------------------------------------------------------------------------------
# 3. C reference (sstppipe.c)
# ---------------------------------------------------------------------------------------------------------------
: >"$WORK/cref.txt"
if ((CREF)) && [[ -r $SSTPPIPE_SRC ]] && command -v gcc >/dev/null; then
    log "3. C reference sstppipe (${CREF_SECS}s, 16 and 1 packets per TLS record)"
    gcc -O2 -o "$WORK/sstppipe" "$SSTPPIPE_SRC" -lssl -lcrypto -lpthread
    (cd "$WORK" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem \
        -out cert.pem -days 2 -subj /CN=localhost >/dev/null 2>&1)
    for batch in 16 1; do
        (cd "$WORK" && READAHEAD=1 timeout $((CREF_SECS + 30)) ./sstppipe "$CREF_SECS" "$batch" tls) \
            >"$WORK/cref-$batch.txt" 2>&1 || log "   sstppipe $batch failed: $(tail -n 2 "$WORK/cref-$batch.txt")"
        # "batch side pkt/s gbit us_per_pkt"
        awk -v b="$batch" '/^server\(|^client\(/ {
            side = ($1 ~ /^server/) ? "server" : "client"; us = "-"
            for (i = 1; i <= NF; i++) if ($i ~ /^cpu_us\/pkt=/) { sub(/.*=/, "", $i); sub(/;$/, "", $i); us = $i }
            printf "%s %s %s %s %s\n", b, side, $2, $4, us }' "$WORK/cref-$batch.txt" >>"$WORK/cref.txt"
    done
    cat "$WORK/cref.txt" >&2
else
    log "3. C reference skipped"
fi

SSTPD_SIGTERM="exited on SIGTERM"
stop_process "$SSTPD_PID" 6 || SSTPD_SIGTERM="did NOT exit within 6 s of SIGTERM (killed)"

# ---------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------
# col DIR COLUMN -> "median min max" over repeats
col() { awk -v d="$1" -v c="$2" '$1 == d { print $c }' "$WORK/runs.txt" | stats | awk '{ print $1, $3, $4 }'; }
mmr() { # "median min max" [decimals] -> "median (min–max)" or just the value for one repeat
    local m lo hi p=${2:-1}
    read -r m lo hi <<<"$1"
    if ((REPEATS == 1)); then fmt "$m" "$p"; else printf '%s (%s–%s)' "$(fmt "$m" "$p")" "$(fmt "$lo" "$p")" "$(fmt "$hi" "$p")"; fi
}
top_thread() { # DIR name-col pct-col -> "name pct%" of the repeat with the median throughput (first repeat if 1)
    awk -v d="$1" -v n="$2" -v p="$3" '$1 == d { print $3, $n, $p }' "$WORK/runs.txt" | sort -g |
        awk '{ row[NR] = $2 " " $3 "%" } END { print row[int((NR + 1) / 2)] }'
}
# ceiling DIR NAME-PCT-COLUMN -> "median min max" of the data rate (Mbit/s of 1400-byte packets) at which that
# process's busiest thread would reach 100 % of a core, extrapolated linearly from each run
ceiling() {
    awk -v d="$1" -v c="$2" '$1 == d && $c > 0 { print $12 / $4 / ($c / 100) * 1400 * 8 / 1e6 }' "$WORK/runs.txt" |
        stats | awk '{ print $1, $3, $4 }'
}
cref() { awk -v b="$1" -v s="$2" -v f="$3" '$1 == b && $2 == s { print $f }' "$WORK/cref.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b == 0) print "-"; else printf "%.1f×", a / b }'; }

UP_MBPS=$(col up 3); DOWN_MBPS=$(col down 3)
UP_SCPU=$(col up 5); DOWN_SCPU=$(col down 5); UP_DCPU=$(col up 6); DOWN_DCPU=$(col down 6)
UP_BUSY=$(col up 7); DOWN_BUSY=$(col down 7)
UP_SPKT=$(col up 8); DOWN_SPKT=$(col down 8); UP_SDATA=$(col up 9); DOWN_SDATA=$(col down 9)
UP_DDATA=$(col up 10); DOWN_DDATA=$(col down 10)
UP_SND=$(col up 17); DOWN_SND=$(col down 17); UP_RCV=$(col up 18); DOWN_RCV=$(col down 18)
UP_RETR=$(col up 19); DOWN_RETR=$(col down 19)
BOUND_TEXT=$(awk -v bg="$BACKGROUND_BUSY" -v n="$(nproc)" '
    { if ($14 > ts) { ts = $14; tsn = $13 } if ($16 > td) { td = $16; tdn = $15 } busy[NR] = $7 }
    END {
        mb = 0; for (i = 1; i <= NR; i++) if (busy[i] > mb) mb = busy[i]
        if (ts >= 90 || td >= 90) {
            printf "a single thread saturates a core (sstpd %s at up to %d %%, sstp-dial %s at up to %d %%).", tsn, ts, tdn, td
        } else if (mb >= 90) {
            printf "the whole machine is saturated (up to %d %% of all %d vCPUs busy, %d %% busy before the run started), " \
                "while no single thread is (busiest: sstpd %s %d %%, sstp-dial %s %d %% of a core). The figure is bound by " \
                "total CPU shared by the generator, both tunnel ends, the kernel and any other load, not by one thread.",
                mb, n, bg, tsn, ts, tdn, td
        } else {
            printf "neither the machine (up to %d %% busy) nor a single thread (sstpd %s %d %%, sstp-dial %s %d %%) is " \
                "saturated: the limit is latency (wake-ups, TCP-over-TCP windows), not CPU.", mb, tsn, ts, tdn, td
        }
    }' "$WORK/runs.txt")
CPU_MODEL=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
SWIFT_VERSION=$(swift --version 2>/dev/null | head -n 1 || true)
GIT_REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
GIT_DIRTY=$(cd "$ROOT" && [[ -n $(git status --porcelain -- Sources Package.swift 2>/dev/null) ]] && echo " (Sources/ modified)" || true)
C_DOWN_US=$(cref 16 server 5); C_UP_US=$(cref 16 client 5)
C_DOWN1_US=$(cref 1 server 5); C_UP1_US=$(cref 1 client 5)

{
    cat <<EOF
# Benchmarks

Generated by \`$COMMAND_LINE\` ($MODE mode) on $(date -u '+%Y-%m-%d %H:%M UTC'). Re-run it (as root) to
refresh this file; \`--quick\` is the CI-sized run (about a minute), the default is the fuller run.

## Machine and build

| | |
|---|---|
| CPU | $(nproc) vCPUs, $CPU_MODEL ($(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -n 1 || true) guest) |
| kernel | $(uname -srm) |
| toolchain | $SWIFT_VERSION, $( [[ -n $BIN_DIR ]] && echo "binaries from \`$BIN_DIR\` (if that is a debug build, the figures are not comparable)" || echo "release build (\`swift build -c release\`)") |
| OpenSSL | $(openssl version) |
| source | git $GIT_REV$GIT_DIRTY |
| background load before the run | ${BACKGROUND_BUSY} % of all CPUs busy over 2 s; load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (the VM is shared: other work inflates every figure) |

Topology: three network namespaces created by the script. \`client\` (10.79.0.1/30) reaches sstpd in \`gw\`
(10.79.0.2:$PORT) over a veth; sstpd's TUN \`sstp0\` is 10.77.0.1/24 (the pool); \`gw\` forwards to \`host\`
(10.78.0.2) over a second veth. TLS: $TLS_DESC, crypto binding $BINDING_DESC, RSA-2048 server certificate
(\`Tests/Fixtures/certs\`). sstpd runs with log level \`info\` and $SSTPD_THREADS threads$([[ -n $SSTPD_ENV ]] && echo ", environment \`$SSTPD_ENV\`").

## 1. Connect time

$DIALS sequential \`sstp-dial --check --ping 10.78.0.2 --count 1\` processes in \`client\` (after one warm-up dial);
$DIAL_OK succeeded.

| quantity | p50 | p90 | min | max |
|---|---|---|---|---|
| TCP connect → IPCP up + Call Connected (\`connect N ms\`, client side) | $(field "$CONNECT_STATS" 1) ms | $(field "$CONNECT_STATS" 2) ms | $(field "$CONNECT_STATS" 3) ms | $(field "$CONNECT_STATS" 4) ms |
| whole \`sstp-dial --check --count 1\` process (start, connect, 1 echo, disconnect, exit) | $(fmt "$(field "$WALL_STATS" 1)") ms | $(fmt "$(field "$WALL_STATS" 2)") ms | $(fmt "$(field "$WALL_STATS" 3)") ms | $(fmt "$(field "$WALL_STATS" 4)") ms |
| first echo through the fresh tunnel (userspace ICMP) | $(field "$ECHO_STATS" 1) ms | $(field "$ECHO_STATS" 2) ms | $(field "$ECHO_STATS" 3) ms | $(field "$ECHO_STATS" 4) ms |

sstpd CPU per dial (handshake, MS-CHAPv2, PPP, teardown): **$SSTPD_MS_PER_DIAL ms**; sequential rate
$DIALS_PER_S dials/s.

What bounds it: \`connect N ms\` is printed in whole milliseconds. It covers the TLS 1.2/1.3 handshake (RSA-2048
signature on the server), the HTTP SSTP_DUPLEX_POST exchange, SSTP Call Connect, LCP, MS-CHAPv2, crypto binding and
IPCP: about 5 round trips on a veth (RTT $(field "$PING_BASE" 1) ms), so the figure is CPU time of both ends, not
network latency. The process wall time adds process start-up (Swift runtime, NIO threads, OpenSSL init and CA
loading), the echo, Call Disconnect and exit.

## 2. One session's throughput

\`sstp-dial\` in TUN mode in \`client\` (\`$TUN_NAME_LINE\`), route 10.78.0.0/24 through it;
iperf3 TCP (1 stream, ${IPERF_SECS} s, first second omitted) from \`client\` to an iperf3 server in \`host\`.
Upload = client → host (sstpd writes the TUN); download = \`-R\` (sstpd reads the TUN). Values are medians
$( ((REPEATS > 1)) && echo "(min–max) over $REPEATS repeats" || echo "of 1 repeat").
CPU is from \`/proc/<pid>/stat\` (utime+stime, all threads, 10 ms ticks) over the whole iperf3 process;
100 % = one core, the machine has $(nproc).

| quantity | upload | download |
|---|---|---|
| throughput (iperf3 receiver) | **$(mmr "$UP_MBPS") Mbit/s** | **$(mmr "$DOWN_MBPS") Mbit/s** |
| sstpd CPU | $(mmr "$UP_SCPU" 0) % | $(mmr "$DOWN_SCPU" 0) % |
| sstpd busiest thread | $(top_thread up 13 14) | $(top_thread down 13 14) |
| data rate at which that thread would reach 100 % of a core (linear extrapolation) | $(mmr "$(ceiling up 14)" 0) Mbit/s | $(mmr "$(ceiling down 14)" 0) Mbit/s |
| sstpd CPU per 1400-byte data packet | $(mmr "$UP_SDATA" 2) µs | $(mmr "$DOWN_SDATA" 2) µs |
| sstpd CPU per TUN packet (both directions, ACKs included) | $(mmr "$UP_SPKT" 2) µs | $(mmr "$DOWN_SPKT" 2) µs |
| sstp-dial CPU | $(mmr "$UP_DCPU" 0) % | $(mmr "$DOWN_DCPU" 0) % |
| sstp-dial busiest thread | $(top_thread up 15 16) | $(top_thread down 15 16) |
| data rate at which that thread would reach 100 % of a core | $(mmr "$(ceiling up 16)" 0) Mbit/s | $(mmr "$(ceiling down 16)" 0) Mbit/s |
| sstp-dial CPU per 1400-byte data packet | $(mmr "$UP_DDATA" 2) µs | $(mmr "$DOWN_DDATA" 2) µs |
| iperf3 client / server CPU (its own report) | $(mmr "$UP_SND" 0) % / $(mmr "$UP_RCV" 0) % | $(mmr "$DOWN_SND" 0) % / $(mmr "$DOWN_RCV" 0) % |
| whole machine busy (all CPUs, softirq included; 100 % = all $(nproc)) | $(mmr "$UP_BUSY" 0) % | $(mmr "$DOWN_BUSY" 0) % |
| TCP retransmits (inner flow) | $(mmr "$UP_RETR" 0) | $(mmr "$DOWN_RETR" 0) |

Ping RTT (\`ping -c $PINGS -i 0.2\`, 56-byte payload), p50 (min–max):
through the tunnel client → host **$(field "$PING_TUN" 1) ms** ($(field "$PING_TUN" 3)–$(field "$PING_TUN" 4));
plain veth client → gw $(field "$PING_BASE" 1) ms ($(field "$PING_BASE" 3)–$(field "$PING_BASE" 4)).
The tunnel's extra round-trip time is userspace hops (each way: a TUN reader thread, a hand-off to an event loop,
TLS, and a TUN write on the far side) plus scheduling delay on a busy machine; it is idle-tunnel latency, not
measured under load.

sstpd memory after the runs: RSS $((SSTPD_RSS / 1024)) MiB (peak $((SSTPD_HWM / 1024)) MiB).
Shutdown: sstp-dial (TUN mode) $TUNNEL_SIGTERM; sstpd $SSTPD_SIGTERM.

Per run: user/system split and context switches (all threads) per 1400-byte data packet, packets the kernel
dropped at each TUN (tx = the reader was too slow and the queue overflowed), and threads with ≥ 2 % of a core (\`NIO-ELT-*\` are sstpd's event loops, \`NIO-SGLTN-*\` sstp-dial's;
threads inherit their creator's name, so the TUN reader thread, started from a Swift concurrency thread, appears as
\`r-initiated-qos\` in sstpd and \`oot.default-qos\` in sstp-dial). The inner TCP's retransmits come from the TUN
tx drops: the sending side's TUN queue (txqueuelen 500) overflows when its reader thread falls behind a burst
(sstpc0 on upload, sstp0 on download):

\`\`\`
$(cat "$WORK/threads.txt")
\`\`\`

What bounds it: everything (iperf3 on both ends, sstp-dial, sstpd, and the kernel's veth/TCP/forwarding work,
which is charged to whichever task happens to run it) shares $(nproc) vCPUs, so this is a whole-system figure
for one TCP-over-TCP session, not a server ceiling. Compare the per-packet CPU of sstpd with the C reference
below and with the ceilings in \`/work/shared/performance.md\` (C: ≈2 µs per packet down, ≈3.5 µs up,
coalesced). A busiest-thread figure near 100 % means that thread saturates a core.
In this run: $BOUND_TEXT

EOF
    if [[ -s $WORK/cref.txt ]]; then
        cat <<EOF
## 3. C reference (sstppipe.c) in the same run

\`READAHEAD=1 sstppipe $CREF_SECS <batch> tls\`: TUN → SSTP/PPP framing → TLS 1.2 ECDHE-ECDSA-AES128-GCM → TCP →
TLS → TUN in C, one direction, UDP 1400-byte packets, server and client threads pinned to CPU 0 and 1.

| packets per TLS record | server (TUN→TLS, downlink analogue) | client (TLS→TUN, uplink analogue) |
|---|---|---|
| up to 16 | $(cref 16 server 3) pkt/s, $(cref 16 server 4) Gbit/s, **$C_DOWN_US µs/pkt** | $(cref 16 client 3) pkt/s, $(cref 16 client 4) Gbit/s, **$C_UP_US µs/pkt** |
| 1 | $(cref 1 server 3) pkt/s, $(cref 1 server 4) Gbit/s, $C_DOWN1_US µs/pkt | $(cref 1 client 3) pkt/s, $(cref 1 client 4) Gbit/s, $C_UP1_US µs/pkt |

Ratio sstpd / C (CPU per 1400-byte data packet, coalesced C figures): download
$(ratio "$(field "$DOWN_SDATA" 1)" "$C_DOWN_US"), upload $(ratio "$(field "$UP_SDATA" 1)" "$C_UP_US").
Not the same work: sstpd ran TLS 1.3 AES-256-GCM (C: TLS 1.2 AES-128-GCM; < 10 % apart per performance.md),
also handles the inner TCP's ACKs (the other direction), reads whatever the kernel
queued (batches vary with load), and its TUN writes go to IP forwarding rather than a local UDP socket; the C
reference carries a one-way UDP flood with no flow control.

EOF
    fi
    cat <<EOF
EOF
    if [[ -s $WORK/profile.txt ]]; then
        cat <<EOF
## Profile (\`--profile\`)

\`perf record -F 1999 -p <pid>\` during one extra iperf3 run per direction and process (not part of the figures
above). Self time; \`[kernel.kallsyms]\` is system-call and network-stack work done on the process's behalf.

\`\`\`
$(cat "$WORK/profile.txt")
\`\`\`

EOF
    fi
    cat <<EOF
## Raw data

Per iperf3 run: direction, repeat, Mbit/s, seconds, sstpd CPU %, sstp-dial CPU %, machine busy %, sstpd µs per TUN
packet, sstpd µs per 1400 B data packet, sstp-dial µs per data packet, TUN packets, data packets, sstpd busiest
thread and its % of one core, sstp-dial busiest thread and %, iperf3 client/server CPU %, retransmits.

\`\`\`
$(cat "$WORK/runs.txt")
\`\`\`
EOF
    # Figures measured elsewhere (bench.sh's sessions and traffic, the offload comparison, soak.sh, the interop
    # suite, cap.sh) live in files of their own and are carried into every run.
    for figures in sessions soak functional; do
        printf '\n'
        cat "$ROOT/Benchmarks/$figures-figures.md"
    done
    if [[ -s $ROOT/Benchmarks/cap-figures.md ]]; then
        printf '\n'
        cat "$ROOT/Benchmarks/cap-figures.md"
    fi
} >"$OUT"
log "wrote $OUT"

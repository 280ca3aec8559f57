#!/usr/bin/env bash
# demo.sh: builds sstpd and runs it in a simulated network on this machine, ready for clients.
#
# Usage: scripts/demo.sh [--port N] [--no-build] [--scratch-path DIR] [--check]
#
#   --port N            TCP port sstpd listens on (default 443)
#   --no-build          use the binaries already built (in DIR/release)
#   --scratch-path DIR  SwiftPM build directory (default .build); binaries are taken from DIR/release
#   --check             start everything, connect with `sstp-dial --check --ping 10.78.0.2`, tear down and exit
#                       with the check's status (a self-test of the demo)
#
# The simulated network (Linux network namespaces, needs root):
#
#   this machine (root namespace)           sstp-demo-gw                        sstp-demo-host
#   sdemo-root 10.79.0.1/30  <-- veth -->  sdemo-gwr 10.79.0.2/30
#                                          sstpd on :PORT, TUN sstp0 10.77.0.1/24
#                                          (client pool 10.77.0.0/24)
#                                          sdemo-gwh 10.78.0.1/24  <-- veth -->  sdemo-host 10.78.0.2/24
#                                          ip_forward=1                          default route via 10.78.0.1
#
# Clients on this machine reach sstpd at 10.79.0.2:PORT; once connected they reach 10.78.0.2 through the tunnel.
# Ctrl-C stops sstpd (Call Disconnect to every client) and removes the namespaces and veths. Re-running after a
# crash removes the leftovers first. Files: certs/demo/ (throwaway CA and server certificate), demo-state/ (users,
# sstpd.toml, the demo password, the log of --check runs).
set -euo pipefail

readonly GW_NS=sstp-demo-gw
readonly HOST_NS=sstp-demo-host
readonly VETH_ROOT=sdemo-root   # root namespace end of the root <-> gateway veth
readonly VETH_GW_ROOT=sdemo-gwr # gateway end of the root <-> gateway veth
readonly VETH_GW_HOST=sdemo-gwh # gateway end of the gateway <-> host veth
readonly VETH_HOST=sdemo-host   # host end of the gateway <-> host veth
readonly SERVER_ADDRESS=10.79.0.2
readonly HOST_ADDRESS=10.78.0.2
readonly SERVER_NAME=sstp-demo.test   # name in the demo server certificate (.test is reserved, RFC 2606)
readonly DEMO_USER=demo

port=443
build=1
check=0
scratch_path=.build
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --scratch-path) scratch_path="$2"; shift 2 ;;
        --check) check=1; shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$port" in
    ''|*[!0-9]*) echo "--port needs a number" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
repo=$(pwd)
state="$repo/demo-state"
certs="$repo/certs/demo"
case "$scratch_path" in
    /*) bin="$scratch_path/release" ;;
    *) bin="$repo/$scratch_path/release" ;;
esac

log() { printf '\n==> %s\n' "$*"; }

build_products() {
    log "building (swift build -c release)"
    swift build -c release --scratch-path "$scratch_path"
}

# Building as root would leave root-owned files in the build directory: a normal user builds first, then the
# script continues as root through sudo.
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "the demo needs root (network namespaces, TUN); run it as root" >&2; exit 1; }
    sudo ./scripts/install-deps.sh
    if [ "$build" -eq 1 ]; then build_products; fi
    rest=(--port "$port" --scratch-path "$scratch_path" --no-build)
    if [ "$check" -eq 1 ]; then rest+=(--check); fi
    exec sudo -- "$repo/scripts/demo.sh" "${rest[@]}"
fi

log "checking dependencies"
./scripts/install-deps.sh
if [ "$build" -eq 1 ]; then
    command -v swift >/dev/null || {
        echo "swift is not on root's PATH: run 'sudo env PATH=\"\$PATH\" $0', or build first and use --no-build" >&2
        exit 1
    }
    build_products
fi
for tool in sstpd sstpctl sstp-dial; do
    [ -x "$bin/$tool" ] || { echo "$bin/$tool is missing: build it (drop --no-build)" >&2; exit 1; }
done

# --- teardown (also run first, to remove what a crashed run left behind) ------------------------------------------

sstpd_pid=""

teardown() {
    if [ -n "$sstpd_pid" ] && kill -0 "$sstpd_pid" 2>/dev/null; then
        kill -TERM "$sstpd_pid" 2>/dev/null || true
        wait "$sstpd_pid" 2>/dev/null || true
    fi
    sstpd_pid=""
    local ns pid
    for ns in "$GW_NS" "$HOST_NS"; do
        if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
            # Processes a previous demo run left inside its own namespaces (sstpd): end them by pid.
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill -TERM "$pid" 2>/dev/null || true
            done
            ip netns del "$ns" 2>/dev/null || true
        fi
    done
    if ip link show "$VETH_ROOT" >/dev/null 2>&1; then
        ip link del "$VETH_ROOT" 2>/dev/null || true
    fi
}

log "removing leftovers of earlier runs"
teardown
if ip -br -4 addr show | grep -q ' 10\.79\.0\.1/'; then
    echo "10.79.0.1 is already in use on this machine; the demo needs 10.79.0.0/30" >&2
    exit 1
fi

# --- certificates, user, configuration ---------------------------------------------------------------------------

log "demo CA and server certificate (certs/demo/)"
sh ./certs/make-demo-certs.sh "$certs" "$SERVER_NAME"

mkdir -p "$state"
chmod 0700 "$state"
if [ ! -s "$state/demo-password" ]; then
    (umask 077 && openssl rand -base64 18 | tr -d '/+=\n' | cut -c1-16 > "$state/demo-password")
fi
password=$(cat "$state/demo-password")
log "demo user '$DEMO_USER' (demo-state/users)"
printf '%s\n' "$password" | "$bin/sstpctl" user add "$DEMO_USER" --password-stdin --users-file "$state/users"

cat > "$state/sstpd.toml" <<EOF
# Written by scripts/demo.sh: sstpd in the namespace $GW_NS. See docs/configuration.md.
[listen]
address = "0.0.0.0"
port = $port

[tls]
certificate = "$certs/server.pem"
private_key = "$certs/server.key"

[pool]
network = "10.77.0.0/24"
gateway = "10.77.0.1"
dns = ["$HOST_ADDRESS"]

[tun]
name = "sstp%d"

[users]
file = "$state/users"

[log]
level = "info"
EOF
"$bin/sstpd" --config "$state/sstpd.toml" --check-config

# --- the simulated network ---------------------------------------------------------------------------------------

log "network namespaces $GW_NS and $HOST_NS"
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$GW_NS"
ip netns add "$HOST_NS"
ip -n "$GW_NS" link set lo up
ip -n "$HOST_NS" link set lo up

# this machine <-> gateway
ip link add "$VETH_ROOT" type veth peer name "$VETH_GW_ROOT" netns "$GW_NS"
ip addr add 10.79.0.1/30 dev "$VETH_ROOT"
ip link set "$VETH_ROOT" up
ip -n "$GW_NS" addr add "$SERVER_ADDRESS/30" dev "$VETH_GW_ROOT"
ip -n "$GW_NS" link set "$VETH_GW_ROOT" up

# gateway <-> host behind it
ip -n "$GW_NS" link add "$VETH_GW_HOST" type veth peer name "$VETH_HOST" netns "$HOST_NS"
ip -n "$GW_NS" addr add 10.78.0.1/24 dev "$VETH_GW_HOST"
ip -n "$GW_NS" link set "$VETH_GW_HOST" up
ip -n "$HOST_NS" addr add "$HOST_ADDRESS/24" dev "$VETH_HOST"
ip -n "$HOST_NS" link set "$VETH_HOST" up
ip -n "$HOST_NS" route add default via 10.78.0.1
ip netns exec "$GW_NS" sysctl -qw net.ipv4.ip_forward=1

# --- run ---------------------------------------------------------------------------------------------------------

dial=("$bin/sstp-dial" --server "$SERVER_ADDRESS:$port" --server-name "$SERVER_NAME" --ca "$certs/ca.pem"
    --user "$DEMO_USER")

if [ "$check" -eq 1 ]; then
    log "starting sstpd (log: demo-state/sstpd.log)"
    ip netns exec "$GW_NS" "$bin/sstpd" --config "$state/sstpd.toml" > "$state/sstpd.log" 2>&1 &
    sstpd_pid=$!
    for _ in $(seq 1 300); do
        grep -q "sstpd ready" "$state/sstpd.log" && break
        kill -0 "$sstpd_pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q "sstpd ready" "$state/sstpd.log"; then
        echo "sstpd did not start:" >&2
        cat "$state/sstpd.log" >&2
        exit 1
    fi
    log "check: ${dial[*]} --password-stdin --check --ping $HOST_ADDRESS"
    status=0
    printf '%s\n' "$password" | "${dial[@]}" --password-stdin --check --ping "$HOST_ADDRESS" || status=$?
    kill -TERM "$sstpd_pid" 2>/dev/null || true
    wait "$sstpd_pid" || true
    sstpd_pid=""
    log "sstpd log"
    cat "$state/sstpd.log"
    if [ "$status" -eq 0 ]; then log "demo check PASSED"; else log "demo check FAILED (status $status)"; fi
    exit "$status"
fi

cat <<EOF

==> the demo is ready
  sstpd:    $SERVER_ADDRESS:$port in namespace $GW_NS (clients get 10.77.0.0/24, DNS $HOST_ADDRESS)
  host:     $HOST_ADDRESS in namespace $HOST_NS, behind the gateway
  user:     $DEMO_USER   password: $password   (demo-state/demo-password)
  CA:       $certs/ca.pem   server name: $SERVER_NAME

Connect from another terminal on this machine (as root):

  1. A quick check (userspace pings through the tunnel, no TUN device on the client side):
       ${dial[*]} --password '$password' --check --ping $HOST_ADDRESS

  2. A real tunnel (TUN device sstpc0, route to the host network through it; Ctrl-C disconnects):
       ${dial[*]} --password '$password' --route 10.78.0.0/24
     then, in a third terminal:
       ping $HOST_ADDRESS

  3. Linux sstpc (package sstp-client). It needs a kernel with PPP (/dev/ppp); this machine's kernel may have none,
     in which case pppd stops after the SSTP handshake:
       sstpc --log-stderr --ca-cert $certs/ca.pem --user $DEMO_USER --password '$password' \\
         $SERVER_ADDRESS:$port -- require-mschap-v2 refuse-eap refuse-pap refuse-chap refuse-mschap \\
         noauth nodefaultroute nobsdcomp nodeflate noipv6
     (or --cert-warn instead of --ca-cert to skip certificate checks), then:
       ip route add 10.78.0.0/24 dev ppp0 && ping $HOST_ADDRESS

  Users: $bin/sstpctl user list --users-file $state/users

Starting sstpd in $GW_NS; Ctrl-C stops it and removes the namespaces.

EOF

ip netns exec "$GW_NS" "$bin/sstpd" --config "$state/sstpd.toml" &
sstpd_pid=$!
# Ctrl-C reaches sstpd too; either way it sends Call Disconnect to every client and exits within 5 s.
trap 'kill -TERM "$sstpd_pid" 2>/dev/null || true' INT TERM
status=0
wait "$sstpd_pid" || status=$?
# `wait` returns early when a trapped signal arrives: wait again for sstpd itself.
if kill -0 "$sstpd_pid" 2>/dev/null; then
    wait "$sstpd_pid" || status=$?
fi
sstpd_pid=""
exit "$status"

#!/usr/bin/env bash
# demo.sh: builds sstpd and runs it in a simulated network on this machine, ready for clients.
#
# Usage: scripts/demo.sh [--port N] [--no-build] [--scratch-path DIR] [--bin-dir DIR] [--check]
#
#   --port N            TCP port sstpd listens on (default 443)
#   --no-build          use the binaries already built (in DIR/release)
#   --scratch-path DIR  SwiftPM build directory (default .build); binaries are taken from DIR/release
#   --bin-dir DIR       take sstpd, sstpctl and sstp-dial from DIR (e.g. .build/debug); implies --no-build
#   --check             start everything, connect with `sstp-dial --check --ping 10.1.1.4 --ping 10.2.1.4`, tear down
#                       and exit with the check's status (a self-test of the demo)
#
# The simulated network is the example VNet of docs/vnet.example.toml (docs/vnet.md), built by `sstpctl vnet up`
# from Linux network namespaces (needs root): a hub VNet (10.1.0.0/16: GatewaySubnet, subnet app with VMs web1
# 10.1.1.4 and web2 10.1.1.5) peered with gateway transit to a spoke VNet (10.2.0.0/16: subnet db with VMs db1
# 10.2.1.4 and db2 10.2.1.5). Every VM answers ping and TCP/UDP echo on port 7. sstpd runs in the gateway
# namespace sstp-vnet-gw with its TUN (client pool 172.16.0.0/24) and takes its pool, DNS, domain and the routes it
# pushes to clients (DHCPINFORM) from the topology.
#
#   this machine (root namespace)            sstp-vnet-gw
#   sdemo-root 10.79.0.1/30  <-- veth -->   sdemo-gwr 10.79.0.2/30, sstpd on :PORT, TUN sstp0 172.16.0.1/24
#                                            10.1.255.4 in the hub's GatewaySubnet --> hub --peering--> spoke
#
# Clients on this machine reach sstpd at 10.79.0.2:PORT; once connected they reach every VM through the tunnel.
# Ctrl-C stops sstpd (Call Disconnect to every client) and removes the network. Re-running after a crash removes the
# leftovers first. Files: demo-state/ (the demo PKI made by sstpctl, users, sstpd.toml, the demo password, the
# client certificate demo.p12 and its password, the VNet state, the log of --check runs), certs/demo/ (copies of the
# demo CA and server certificate). sstpd also serves the CRL at http://10.79.0.2/sstpd.crl.

set -euo pipefail

readonly GW_NS=sstp-vnet-gw      # the example topology's [gateway] namespace
readonly VETH_ROOT=sdemo-root   # root namespace end of the root <-> gateway veth
readonly VETH_GW_ROOT=sdemo-gwr # gateway end of the root <-> gateway veth
readonly SERVER_ADDRESS=10.79.0.2
readonly HUB_VM=10.1.1.4        # web1 in the hub
readonly SPOKE_VM=10.2.1.4      # db1 in the spoke (reached through the peering)
readonly SERVER_NAME=sstp-demo.test   # name in the demo server certificate (.test is reserved, RFC 2606)
readonly DEMO_USER=demo
readonly CRL_URL=http://10.79.0.2/sstpd.crl

port=443
build=1
check=0
scratch_path=.build
bin_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --scratch-path) scratch_path="$2"; shift 2 ;;
        --bin-dir) bin_dir="$2"; build=0; shift 2 ;;
        --check) check=1; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
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
if [ -n "$bin_dir" ]; then
    case "$bin_dir" in
        /*) bin="$bin_dir" ;;
        *) bin="$repo/$bin_dir" ;;
    esac
fi

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
    if [ -n "$bin_dir" ]; then rest+=(--bin-dir "$bin"); fi
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
    if [ -x "$bin/sstpctl" ] && [ -f "$state/vnet.toml" ]; then
        "$bin/sstpctl" vnet down "$state/vnet.toml" --state-dir "$state/vnet" >/dev/null 2>&1 || true
    fi
    local ns pid
    for ns in "$GW_NS"; do
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

mkdir -p "$state"
chmod 0700 "$state"
random_secret() { (umask 077 && openssl rand -base64 18 | tr -d '/+=\n' | cut -c1-16 > "$1"); }
[ -s "$state/demo-password" ] || random_secret "$state/demo-password"
[ -s "$state/demo-p12-password" ] || random_secret "$state/demo-p12-password"
password=$(cat "$state/demo-password")

# The demo PKI is sstpctl's own CA (docs/pki.md) in demo-state/pki; certs/demo/ gets stable copies of the CA and
# the server certificate. The server certificate names its CRL distribution point, which sstpd itself serves.
if [ ! -s "$state/pki/ca.pem" ] || [ ! -s "$certs/server.pem" ] || [ ! -s "$state/$DEMO_USER.p12" ]; then
    log "demo CA, server certificate and client certificate (sstpctl, demo-state/pki)"
    rm -rf "$state/pki" "$certs"
    "$bin/sstpctl" ca init --pki-dir "$state/pki" --name "sstpd demo CA"
    server_out=$("$bin/sstpctl" cert server --pki-dir "$state/pki" --name "$SERVER_NAME" --ip "$SERVER_ADDRESS" \
        --crl-url "$CRL_URL")
    echo "$server_out"
    mkdir -p "$certs"
    cp "$state/pki/ca.pem" "$certs/ca.pem"
    cp "$(echo "$server_out" | awk '/^chain:/ {print $2}')" "$certs/server.pem"
    (umask 077 && cp "$(echo "$server_out" | awk '/^key:/ {print $2}')" "$certs/server.key")
    "$bin/sstpctl" cert client issue "$DEMO_USER" --pki-dir "$state/pki" --p12-password-stdin \
        --out "$state/$DEMO_USER.p12" < "$state/demo-p12-password"
    "$bin/sstpctl" crl --pki-dir "$state/pki"
fi
log "demo user '$DEMO_USER' (demo-state/users): password or certificate"
printf '%s\n' "$password" | "$bin/sstpctl" user add "$DEMO_USER" --password-stdin --state "$state/state.sqlite" \
    --socket "$state/control.sock"

cat > "$state/sstpd.toml" <<EOF
# Written by scripts/demo.sh: sstpd in the namespace $GW_NS. See docs/configuration.md.
[listen]
address = "0.0.0.0"
port = $port

[tls]
certificate = "$certs/server.pem"
private_key = "$certs/server.key"

[vnet]
topology = "$state/vnet.toml"   # pool, DNS, domain and client routes come from the topology

[tun]
name = "sstp%d"

[state]
database = "$state/state.sqlite"    # users, reservations, leases, accounting (docs/state-store.md)

[admin]
control_socket = "$state/control.sock"   # sstpctl status|sessions|pool|reload --socket demo-state/control.sock

[auth]
methods = ["mschapv2", "eap-tls"]   # passwords, or the client certificate demo-state/$DEMO_USER.p12
client_ca = "$state/pki/ca.pem"
pki_dir = "$state/pki"              # sstpctl cert client revoke $DEMO_USER takes effect at the next connection

[crl]
listen = "0.0.0.0:80"               # the server certificate's CRL distribution point: $CRL_URL
path = "/sstpd.crl"

[log]
level = "info"
EOF
cp docs/vnet.example.toml "$state/vnet.toml"
"$bin/sstpd" --config "$state/sstpd.toml" --check-config
log "client configuration package for '$DEMO_USER' (demo-state/$DEMO_USER-client.zip, docs/client-package.md)"
"$bin/sstpctl" client-package "$DEMO_USER" --config "$state/sstpd.toml" --server "$SERVER_NAME" \
    --out "$state/$DEMO_USER-client.zip" --force

# --- the simulated network ---------------------------------------------------------------------------------------

log "the simulated network: namespace $GW_NS, then sstpctl vnet up (docs/vnet.example.toml)"
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$GW_NS"
ip -n "$GW_NS" link set lo up

# this machine <-> gateway
ip link add "$VETH_ROOT" type veth peer name "$VETH_GW_ROOT" netns "$GW_NS"
ip addr add 10.79.0.1/30 dev "$VETH_ROOT"
ip link set "$VETH_ROOT" up
ip -n "$GW_NS" addr add "$SERVER_ADDRESS/30" dev "$VETH_GW_ROOT"
ip -n "$GW_NS" link set "$VETH_GW_ROOT" up

"$bin/sstpctl" vnet up "$state/vnet.toml" --state-dir "$state/vnet"
"$bin/sstpctl" vnet status "$state/vnet.toml" --state-dir "$state/vnet" --ping-only

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
    log "check: ${dial[*]} --password-stdin --check --ping $HUB_VM --ping $SPOKE_VM"
    status=0
    printf '%s\n' "$password" | "${dial[@]}" --password-stdin --check --ping "$HUB_VM" --ping "$SPOKE_VM" || status=$?
    if [ "$status" -eq 0 ]; then
        log "check: ${dial[*]} --cert demo-state/$DEMO_USER.p12 --cert-password-file demo-state/demo-p12-password --check --ping $SPOKE_VM"
        "${dial[@]}" --cert "$state/$DEMO_USER.p12" --cert-password-file "$state/demo-p12-password" \
            --check --ping "$SPOKE_VM" || status=$?
    fi
    if [ "$status" -eq 0 ]; then
        log "check: the client package holds the CA, the PKCS#12 and the VNet routes"
        python3 - "$state/$DEMO_USER-client.zip" "$state/$DEMO_USER.p12" <<'PY' || status=$?
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
names = z.namelist()
print("\n".join(names))
assert z.read("demo.p12") == open(sys.argv[2], "rb").read(), "the package's PKCS#12 differs"
script = z.read("windows/install-vpn.ps1").decode("utf-8-sig")
for route in ("10.1.0.0/16", "10.2.0.0/16"):
    assert route in script, route + " missing from install-vpn.ps1"
PY
    fi
    if [ "$status" -eq 0 ]; then
        log "check: the CRL at $CRL_URL verifies with the demo CA"
        python3 -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=5).read())' \
            "$CRL_URL" > "$state/fetched.crl" || status=$?
        openssl crl -inform der -in "$state/fetched.crl" -noout -CAfile "$certs/ca.pem" || status=$?
    fi
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
  sstpd:    $SERVER_ADDRESS:$port in namespace $GW_NS (clients get 172.16.0.0/24, DNS $HUB_VM, domain corp.example)
  VNet:     hub 10.1.0.0/16 (web1 10.1.1.4, web2 10.1.1.5) peered with spoke 10.2.0.0/16 (db1 10.2.1.4,
            db2 10.2.1.5); every VM answers ping and TCP/UDP echo on port 7 (docs/vnet.example.toml)
  user:     $DEMO_USER   password: $password   (demo-state/demo-password)
            or the client certificate demo-state/$DEMO_USER.p12 (EAP-TLS), PKCS#12 password in demo-state/demo-p12-password
  CA:       $certs/ca.pem   server name: $SERVER_NAME   CRL: $CRL_URL (served by sstpd)
  package:  demo-state/$DEMO_USER-client.zip (Windows, NetworkManager, sstpc and sstp-dial set-up; docs/client-package.md)

Connect from another terminal on this machine (as root):

  1. A quick check (userspace pings through the tunnel, no TUN device on the client side; prints the routes the
     gateway pushes by DHCPINFORM):
       ${dial[*]} --password '$password' --check --ping $HUB_VM --ping $SPOKE_VM

     or with the certificate (EAP-TLS inside PPP, crypto binding verified as with a password):
       ${dial[*]} --cert $state/$DEMO_USER.p12 --cert-password-file $state/demo-p12-password --check --ping $SPOKE_VM

  2. A real tunnel (TUN device sstpc0; the routes to both VNets come from the gateway; Ctrl-C disconnects):
       ${dial[*]} --password '$password'
     then, in a third terminal:
       ping $SPOKE_VM
       $bin/sstpctl vnet echo-check $HUB_VM

  3. Linux sstpc (package sstp-client). It needs a kernel with PPP (/dev/ppp); this machine's kernel may have none,
     in which case pppd stops after the SSTP handshake. pppd does not ask for routes, so add them by hand:
       sstpc --log-stderr --ca-cert $certs/ca.pem --user $DEMO_USER --password '$password' \\
         $SERVER_ADDRESS:$port -- require-mschap-v2 refuse-eap refuse-pap refuse-chap refuse-mschap \\
         noauth nodefaultroute nobsdcomp nodeflate noipv6
     (or --cert-warn instead of --ca-cert to skip certificate checks), then:
       ip route add 10.1.0.0/16 dev ppp0 && ip route add 10.2.0.0/16 dev ppp0 && ping $SPOKE_VM

  The network:  $bin/sstpctl vnet status $state/vnet.toml --state-dir $state/vnet
  Users:        $bin/sstpctl user list --state $state/state.sqlite
  Sessions:     $bin/sstpctl sessions list --socket $state/control.sock   (also: status, pool show, reload, accounting)

Starting sstpd in $GW_NS; Ctrl-C stops it and removes the network.

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

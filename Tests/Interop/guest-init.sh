#!/bin/sh
# PID 1 of a User-Mode-Linux guest that runs Debian's sstpc + pppd against sstpd.
#
# The guest's root is the host's / (hostfs, read-only). The runner (interop.py) passes one kernel argument,
# SSTP_GUEST_CONFIG=<file>, a shell fragment with the settings below; the kernel hands unknown arguments to init's
# environment. Results go to the console (fd 1) as marker lines "@@ <event> key=value ...", read by the runner.
#
# Settings: ADDR (vec0 address/prefix), SERVER (host:port), USER, PASSWORD, CA (PEM file), IPV6 (0/1),
# PING (address behind the gateway, or empty), ROUTE (networks to route over ppp0, space-separated), TRANSFER_HOST,
# DOWN_PORT, UP_PORT, TRANSFER_BYTES (0 = no transfer), END (client-term | pppd-term | wait-server), HOLD (seconds),
# RETRIES (sstpc start-up race retries allowed), UP_TIMEOUT (seconds), IDLE (seconds of silence after the ping),
# VNET (addresses of simulated-VNet VMs to ping and echo-check, space-separated, or empty), ECHO_CHECK (an sstpctl
# binary the guest can see, for `sstpctl vnet echo-check`), AUTH (mschapv2, the default, or eap-tls). With
# AUTH=eap-tls: EAP_CERT, EAP_KEY (the client certificate and its key, PEM), EAP_CA (the roots pppd checks sstpd's
# inner EAP-TLS certificate against), EAP_SERVER_NAME (pppd's `remotename`: the CN it expects in that certificate),
# EAP_TLS_MAX (pppd's `max-tls-version`, empty = pppd's default, 1.2); USER is then pppd's EAP identity and no
# password is passed (sstpc given --password watches the PPP frames itself and dies on EAP-TLS). LOG_LEVEL: sstpc's
# --log-level for EAP-TLS (default 4; 7 dumps every SSTP packet in hex).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts 2>/dev/null
mount -t devpts devpts /dev/pts -o ptmxmode=0666,mode=0620 2>/dev/null
for d in /run /tmp /etc/ppp /var/log; do mount -t tmpfs tmpfs "$d"; done
mkdir -p /run/lock /run/sstpc
: > /etc/ppp/options   # keep Debian's auth/lock/crtscts defaults out

marker() { echo "@@ $* t=$(cut -d" " -f1 /proc/uptime)"; }
finish() {
    for f in /tmp/sstpc.*.log; do [ -f "$f" ] && sed "s#^#sstpc: #" "$f"; done
    marker done
    sync
    poweroff -f
    halt -f
}

if [ -z "${SSTP_GUEST_CONFIG:-}" ] || [ ! -r "$SSTP_GUEST_CONFIG" ]; then
    marker fatal reason=no-config
    finish
fi
. "$SSTP_GUEST_CONFIG"

# Debian's UML modules live in /usr/lib/uml/modules/<version>/ (not the lib/modules/ layout modprobe -d wants).
modules=/usr/lib/uml/modules/$(uname -r)/kernel
load() { insmod "$modules/$1" || marker fatal reason=insmod-$1; }
load lib/crc-ccitt.ko
load drivers/net/slip/slhc.ko
load drivers/net/ppp/ppp_generic.ko
load drivers/net/ppp/ppp_async.ko
load net/sched/sch_netem.ko
if [ "${IPV6:-0}" = 1 ]; then load net/ipv6/ipv6.ko; fi
ip link set lo up
ip link set vec0 up
ip addr add "$ADDR" dev vec0

if [ "${AUTH:-mschapv2}" = eap-tls ]; then
    # pppd's EAP-TLS client (built into Debian's pppd 2.4.9): the `ca`, `cert` and `key` options instead of
    # /etc/ppp/eaptls-client; `remotename` is the CN pppd requires in sstpd's certificate.
    ppp_opts="refuse-pap refuse-chap refuse-mschap refuse-mschap-v2 ca $EAP_CA cert $EAP_CERT key $EAP_KEY"
    ppp_opts="$ppp_opts remotename $EAP_SERVER_NAME"
    if [ -n "${EAP_TLS_MAX:-}" ]; then ppp_opts="$ppp_opts max-tls-version $EAP_TLS_MAX"; fi
else
    ppp_opts="require-mschap-v2 refuse-eap refuse-pap refuse-chap refuse-mschap"
fi
ppp_opts="$ppp_opts noauth nodefaultroute nobsdcomp nodeflate usepeerdns debug logfd 2"
if [ "${IPV6:-0}" = 1 ]; then ppp_opts="$ppp_opts +ipv6"; else ppp_opts="$ppp_opts noipv6"; fi

ppp_up() { ip -4 addr show dev ppp0 2>/dev/null | grep -q 'inet '; }
alive() { kill -0 "$1" 2>/dev/null; }

# Connect. sstpc 1.0.18 has a start-up race (it exits with "The event loop terminated unsuccessfully" when the
# server's TLS reply is already there at its first read): a 10 ms egress delay during the handshake makes it rare,
# and a retry on exactly that signature (reported as such) covers the rest.
attempt=0
pid=
while :; do
    attempt=$((attempt + 1))
    log=/tmp/sstpc.$attempt.log
    tc qdisc add dev vec0 root netem delay 10ms 2>/dev/null
    marker starting attempt=$attempt
    if [ "${AUTH:-mschapv2}" = eap-tls ]; then
        # shellcheck disable=SC2086
        sstpc --log-level "${LOG_LEVEL:-4}" --log-stderr --user "$USER" --ca-cert "$CA" "$SERVER" -- \
            $ppp_opts > "$log" 2>&1 &
    else
        # shellcheck disable=SC2086
        sstpc --log-level 4 --log-stderr --user "$USER" --password "$PASSWORD" --ca-cert "$CA" "$SERVER" -- \
            $ppp_opts > "$log" 2>&1 &
    fi
    pid=$!
    waited=0
    while alive "$pid" && ! ppp_up && [ "$waited" -lt $((${UP_TIMEOUT:-25} * 10)) ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    tc qdisc del dev vec0 root 2>/dev/null
    if ppp_up; then break; fi
    if alive "$pid"; then
        marker connect-failed attempt=$attempt reason=timeout
        kill -TERM "$pid"; sleep 1; kill -KILL "$pid" 2>/dev/null
        finish
    fi
    wait "$pid"
    status=$?
    if grep -q 'The event loop terminated unsuccessfully' "$log" && ! grep -q 'rcvd \[' "$log" \
        && [ "$attempt" -le "${RETRIES:-2}" ]; then
        marker startup-race attempt=$attempt status=$status
        sleep 0.5
        continue
    fi
    marker connect-failed attempt=$attempt reason=sstpc-exited status=$status
    finish
done

# sstpc sends Call Connected once pppd reports the link up (ip-up); sstpd forwards data only after it, so give
# that message a moment before the first packet.
sleep 0.5
address=$(ip -4 addr show dev ppp0 | sed -n 's/.*inet \([0-9.]*\) peer \([0-9.]*\).*/\1 peer=\2/p')
marker up attempt=$attempt address=$address
dns=$(sed -n 's/^nameserver //p' /etc/ppp/resolv.conf 2>/dev/null | tr '\n' ',' | sed 's/,$//')
marker dns servers=${dns:-none}

# pppd installs no routes beyond the peer address (nodefaultroute) and sends no DHCPINFORM, so the routes a Windows
# client would learn from sstpd (option 121/249) are added here by hand.
for route in ${ROUTE:-}; do
    ip route add "$route" dev ppp0 || marker route-failed route=$route
done
if [ -n "${PING:-}" ]; then
    out=$(ping -n -c 3 -i 0.3 -W 3 "$PING" 2>&1)
    stats=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/sent=\1 received=\2/p')
    marker ping target=$PING ${stats:-sent=? received=0}
fi

if [ "${IDLE:-0}" -gt 0 ]; then
    # Stay silent so sstpd's hello timer fires (SSTP Echo Request, which sstpc must answer), then check the link.
    sleep "$IDLE"
    out=$(ping -n -c 3 -i 0.3 -W 3 "$PING" 2>&1)
    stats=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/sent=\1 received=\2/p')
    marker ping-after-idle target=$PING ${stats:-sent=? received=0}
fi

# The simulated VNet (case 9): ICMP, TCP echo and UDP echo (RFC 862, port 7) to every VM through the tunnel. Every
# VM gets both echo probes; the runner knows which VMs serve UDP and expects no answer from the others.
for vm in ${VNET:-}; do
    out=$(ping -n -c 2 -i 0.3 -W 3 "$vm" 2>&1)
    stats=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/sent=\1 received=\2/p')
    if "$ECHO_CHECK" vnet echo-check "$vm" --no-udp --timeout 3 >/dev/null 2>&1; then tcp=ok; else tcp=no-echo; fi
    if "$ECHO_CHECK" vnet echo-check "$vm" --no-tcp --timeout 2 >/dev/null 2>&1; then udp=ok; else udp=no-echo; fi
    marker vnet target=$vm ${stats:-sent=? received=0} tcp=$tcp udp=$udp
done

if [ "${IPV6:-0}" = 1 ]; then
    sleep 1   # let DAD finish on ppp0
    local_ll=$(ip -6 addr show dev ppp0 scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\)[ \/].*/\1/p' | head -1)
    remote_ll=$(sed -n 's/.*remote LL address \(fe80::[0-9a-f:]*\).*/\1/p' /tmp/sstpc.$attempt.log | head -1)
    marker ipv6 local=${local_ll:-none} remote=${remote_ll:-none}
    if [ -n "$remote_ll" ]; then
        out=$(ping -n -6 -c 3 -i 0.3 -W 3 "$remote_ll%ppp0" 2>&1)
        stats=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/sent=\1 received=\2/p')
        marker ping6 target=$remote_ll ${stats:-sent=? received=0}
    fi
fi

if [ "${TRANSFER_BYTES:-0}" -gt 0 ]; then
    t0=$(date +%s%N)
    timeout 60 bash -c "cat < /dev/tcp/$TRANSFER_HOST/$DOWN_PORT > /tmp/down.bin"
    t1=$(date +%s%N)
    marker download bytes=$(stat -c %s /tmp/down.bin) sha256=$(sha256sum /tmp/down.bin | cut -d' ' -f1) \
        ns=$((t1 - t0))
    rm -f /tmp/down.bin
    head -c "$TRANSFER_BYTES" /dev/urandom > /tmp/up.bin
    up_sum=$(sha256sum /tmp/up.bin | cut -d' ' -f1)
    t0=$(date +%s%N)
    # The host answers with the SHA-256 of what it received once it has all of it (bash cannot half-close).
    reply=$(timeout 60 bash -c "exec 3<>/dev/tcp/$TRANSFER_HOST/$UP_PORT; cat /tmp/up.bin >&3; head -n 1 <&3")
    t1=$(date +%s%N)
    marker upload bytes=$TRANSFER_BYTES sha256=$up_sum ns=$((t1 - t0)) host-sha256=${reply:-none}
    rm -f /tmp/up.bin
fi

gone() {
    # sstpc exited and ppp0 disappeared
    i=0
    while { alive "$pid" || ip link show ppp0 >/dev/null 2>&1; } && [ "$i" -lt $(($1 * 10)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
    ! alive "$pid" && ! ip link show ppp0 >/dev/null 2>&1
}

case "${END:-none}" in
    wait-server)
        marker waiting
        if gone "${HOLD:-20}"; then
            wait "$pid"
            marker ended by=server sstpc-status=$? ppp0=gone
        else
            marker ended by=timeout ppp0=present
            kill -TERM "$pid"
        fi
        ;;
    pppd-term)
        # pppd ends the link itself (LCP Terminate-Request), then sstpc ends the SSTP call.
        pppd_pid=$(for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = pppd ] && echo "${d#/proc/}"; done)
        marker pppd-term pid=${pppd_pid:-none}
        [ -n "$pppd_pid" ] && kill -TERM $pppd_pid
        if gone 15; then
            wait "$pid"
            marker ended by=pppd sstpc-status=$? ppp0=gone
        else
            marker ended by=pppd-timeout ppp0=present
            kill -KILL "$pid" 2>/dev/null
        fi
        ;;
    *)
        kill -TERM "$pid"
        if gone 10; then
            wait "$pid"
            marker ended by=client sstpc-status=$? ppp0=gone
        else
            marker ended by=client-timeout ppp0=present
            kill -KILL "$pid" 2>/dev/null
        fi
        ;;
esac
finish

#!/usr/bin/env python3
"""Interop suite: Debian's sstpc 1.0.18 + pppd 2.4.9 in User-Mode-Linux guests against sstpd.

Topology per run (all names carry a per-run tag; everything is removed on exit, also on failure or a signal):

    UML guest N (vec0 10.80.N.2/24) ── tap sitTnN ──┐
                                                    [gateway netns]  sstpd :443, TUN sstpi%d 10.77.0.1/24 (pool)
                                                    | 10.78.0.1/24 ── veth ── 10.78.0.2/24 [host netns] (ping, blobs)

The guest's view comes from marker lines its init script prints ("@@ event key=value"), sstpd's view from its log
(swift-log lines with session=, peer=, user= metadata). Each case prints "PASS name" or "FAIL name: reason"; the
runner ends with "N passed, N failed" and exits non-zero on any failure. Standard library only; run as root.
"""
import argparse
import atexit
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GUEST_INIT = os.path.join(HERE, "guest-init.sh")
BLOB_SERVER = os.path.join(HERE, "blob_server.py")
TAG = str(os.getpid() % 100000)
GW_NS, HOST_NS = f"sigw{TAG}", f"sihost{TAG}"
HOST_ADDRESS, GATEWAY_ADDRESS, POOL = "10.78.0.2", "10.77.0.1", "10.77.0.0/24"
SERVER_PORT = 443
SERVER_NAME = "sstp-interop.test"  # CN of the run's server certificate (certs/make-demo-certs.sh)
TRANSFER_BYTES = 20 * 1024 * 1024
DOWN_PORT, UP_PORT = 5001, 5002

started = []  # every Popen this run started (each in its own session/process group)
verbose = False


def log(message):
    if verbose:
        print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def sh(argv, check=True, timeout=30, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def spawn(argv, **kwargs):
    process = subprocess.Popen(argv, start_new_session=True, **kwargs)
    started.append(process)
    return process


def kill_group(process, sig=signal.SIGKILL):
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass


class CaseFailure(Exception):
    pass


def expect(condition, reason):
    if not condition:
        raise CaseFailure(reason)


class LineReader:
    """Collects a process's output lines in a thread; lets callers wait for a matching line."""

    def __init__(self, stream, sink_path):
        self.lines = []
        self.cond = threading.Condition()
        self.sink = open(sink_path, "a", buffering=1, errors="replace")
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()
        self.closed = False

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").replace("\x00", "").rstrip("\r\n")
            self.sink.write(line + "\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, predicate, timeout, start=0):
        """Returns (index, line) of the first line from `start` that satisfies predicate, or None on timeout/EOF."""
        deadline = time.monotonic() + timeout
        index = start
        with self.cond:
            while True:
                while index < len(self.lines):
                    if predicate(self.lines[index]):
                        return index, self.lines[index]
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                self.cond.wait(remaining)

    def snapshot(self):
        with self.cond:
            return list(self.lines)


# ---------------------------------------------------------------------------------------------------------------
# sstpd's view

LOG_LINE = re.compile(r"^\S+ (?P<level>\w+) sstpd:(?P<meta>.*?)\[SSTPServer\] (?P<message>.*)$")
META = re.compile(r"([\w-]+)=(.*?)(?=\s+[\w-]+=|\s*$)")  # values may hold spaces: "reason=connection closed"


def parse_log(line):
    match = LOG_LINE.match(line)
    if not match:
        return None
    meta = dict(META.findall(match.group("meta").strip()))
    message = match.group("message")
    return {"level": match.group("level"), "meta": meta, "message": message, "raw": line}


class Daemon:
    """sstpd inside the gateway namespace, its log on stderr."""

    def __init__(self, run, name, extra_toml="", dns=(HOST_ADDRESS,)):
        self.run = run
        dns_line = "dns = [" + ", ".join(f'"{d}"' for d in dns) + "]\n" if dns else ""
        config = os.path.join(run.work, f"{name}.toml")
        with open(config, "w") as f:
            f.write(f"""[listen]
address = "0.0.0.0"
port = {SERVER_PORT}
[tls]
certificate = "{run.certs}/server.pem"
private_key = "{run.certs}/server.key"
[pool]
network = "{POOL}"
gateway = "{GATEWAY_ADDRESS}"
{dns_line}[tun]
name = "sstpi%d"
[state]
database = "{run.users}"
[admin]
control_socket = "{run.work}/control.sock"
[log]
level = "info"
{extra_toml}
""")
        self.process = spawn(["ip", "netns", "exec", GW_NS, os.path.join(run.bin_dir, "sstpd"), "--config", config],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = LineReader(self.process.stdout, os.path.join(run.work, f"{name}.log"))
        if self.reader.wait_for(lambda l: "sstpd ready" in l, 20) is None:
            kill_group(self.process)
            raise CaseFailure("sstpd did not start:\n" + "\n".join(self.reader.snapshot()[-20:]))
        log(f"{name} ready")

    def entries(self):
        return [e for e in map(parse_log, self.reader.snapshot()) if e]

    def sessions_from(self, ip):
        """Session id -> list of log entries, for connections from `ip` (any port)."""
        sessions = {}
        for entry in self.entries():
            peer, session = entry["meta"].get("peer", ""), entry["meta"].get("session")
            if session and peer.rsplit(":", 1)[0] == ip:
                sessions.setdefault(session, []).append(entry)
        return sessions

    def wait_log(self, predicate, timeout):
        return self.reader.wait_for(lambda l: (e := parse_log(l)) is not None and predicate(e), timeout)

    def open_sessions(self):
        """Session ids that were accepted but have not logged `session closed`."""
        opened, closed = set(), set()
        for entry in self.entries():
            session = entry["meta"].get("session")
            if entry["message"].startswith("connection accepted"):
                opened.add(session)
            elif entry["message"].startswith("session closed"):
                closed.add(session)
        return opened - closed

    def alive(self):
        return self.process.poll() is None

    def stop(self, timeout=10):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # `ip netns exec` execs sstpd: this pid is sstpd
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.process)
            self.process.wait(5)
            return None


def session_summary(entries):
    """Condenses one session's log entries into the facts the cases check."""
    summary = {"messages": [e["message"] for e in entries], "problems": []}
    for e in entries:
        m, meta = e["message"], e["meta"]
        if m.startswith("authenticated"):
            summary["user"] = meta.get("user")
            summary["address"] = meta.get("address")
            summary["method"] = meta.get("method")
        elif m.startswith("call connected, crypto binding verified"):
            summary["binding"] = meta.get("hash")
            if "binding-key" in meta:  # only when the opt-in legacy EAP-TLS key verified it
                summary["binding_key"] = meta["binding-key"]
        elif m.startswith("aborting the call"):
            summary["abort"] = meta.get("reason", "?")
        elif m.startswith("IPCP up"):
            summary["ipcp_address"] = meta.get("address")
            summary["dns"] = meta.get("dns")
        elif m.startswith("IPV6CP up"):
            summary["ipv6cp"] = meta.get("peer-interface-id", "?")
        elif m.startswith("authentication attempt rejected"):
            summary["rejected"] = meta.get("error")
        elif m.startswith(("EAP-TLS failed", "EAP-TLS refused")):
            summary["eap_refused"] = f"{m}: {meta.get('reason', '?')}"
        elif m.startswith("authentication failed"):
            summary["auth_failed"] = meta.get("reason", "?")
        elif m.startswith("session closed"):
            summary["closed"] = meta.get("reason", "?")
            summary["packets"] = (meta.get("packets-in"), meta.get("packets-out"))
        elif m.startswith("SSTP call ended"):
            summary["call_ended"] = meta.get("reason", "?")
        elif m.startswith("SSTP_DUPLEX_POST accepted"):
            summary["http"] = True
        if "crypto binding failed" in m or "crypto binding failed" in meta.get("reason", ""):
            summary["binding_failed"] = meta.get("reason", m)  # sstpd's abort reason, wherever it logs it
        for key in ("eap-tls", "certificate"):  # set after EAP-TLS succeeds, on every later line of the session
            if key in meta:
                summary[key.replace("-", "_")] = meta[key]
        if e["level"] in ("warning", "error", "critical"):
            summary["problems"].append(m)
    return summary


# ---------------------------------------------------------------------------------------------------------------
# The guest's view

MARKER = re.compile(r"^@@ (\S+)(.*)$")


class Guest:
    """One UML guest on its own tap in the gateway namespace, running guest-init.sh."""

    def __init__(self, run, index, user="alice", password="alice-password", ipv6=False, ping=True,
                 transfer=False, end="client-term", hold=20, idle=0, routes=("10.78.0.0/24",), vnet=(),
                 echo_check="", eap_tls=None, tls_max=""):
        """eap_tls: (certificate, key) PEM files the guest can read: pppd authenticates with EAP-TLS as `user`."""
        self.run, self.index = run, index
        self.name = f"g{index}"
        self.tap = f"sit{TAG}n{index}"
        self.ip = f"10.80.{index}.2"
        self.started_at = time.monotonic()
        sh(["ip", "-n", GW_NS, "tuntap", "add", "dev", self.tap, "mode", "tap"])
        sh(["ip", "-n", GW_NS, "addr", "add", f"10.80.{index}.1/24", "dev", self.tap])
        sh(["ip", "-n", GW_NS, "link", "set", self.tap, "up"])
        self.config = os.path.join(run.work, f"{self.name}.env")
        settings = {
            "ADDR": f"{self.ip}/24", "SERVER": f"10.80.{index}.1:{SERVER_PORT}", "USER": user,
            "PASSWORD": password, "CA": f"{run.certs}/ca.pem", "IPV6": "1" if ipv6 else "0",
            "PING": HOST_ADDRESS if ping else "", "ROUTE": " ".join(routes), "TRANSFER_HOST": HOST_ADDRESS,
            "DOWN_PORT": str(DOWN_PORT), "UP_PORT": str(UP_PORT),
            "TRANSFER_BYTES": str(TRANSFER_BYTES if transfer else 0), "END": end, "HOLD": str(hold),
            "RETRIES": "2", "UP_TIMEOUT": "25", "IDLE": str(idle), "VNET": " ".join(vnet),
            "ECHO_CHECK": echo_check, "AUTH": "eap-tls" if eap_tls else "mschapv2",
            "EAP_CERT": eap_tls[0] if eap_tls else "", "EAP_KEY": eap_tls[1] if eap_tls else "",
            "EAP_CA": f"{run.certs}/ca.pem", "EAP_SERVER_NAME": SERVER_NAME, "EAP_TLS_MAX": tls_max,
            "LOG_LEVEL": "7" if eap_tls else "4",
        }
        with open(self.config, "w") as f:
            for key, value in settings.items():
                f.write(f"{key}='{value}'\n")
        self.uml_dir = os.path.join(run.work, "uml")
        os.makedirs(self.uml_dir, exist_ok=True)
        cpu = str(index % max(1, os.cpu_count() or 1))
        argv = ["ip", "netns", "exec", GW_NS, "taskset", "-c", cpu, "linux.uml", "mem=256M", "root=/dev/root",
                "rootfstype=hostfs", "rootflags=/", "ro", f"init={GUEST_INIT}", "con=null", "con0=null,fd:1",
                f"uml_dir={self.uml_dir}", f"umid=sstpi{TAG}{self.name}",
                f"vec0:transport=tap,ifname={self.tap},gro=1", "quiet", f"SSTP_GUEST_CONFIG={self.config}"]
        env = dict(os.environ, TMPDIR="/dev/shm")
        self.process = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=env)
        self.reader = LineReader(self.process.stdout, os.path.join(run.work, f"{self.name}.console"))
        log(f"guest {self.name} launched ({user}{', EAP-TLS' if eap_tls else ''}, end={end})")

    def wait_marker(self, event, timeout):
        found = self.reader.wait_for(lambda l: l.startswith(f"@@ {event}") or l.startswith("@@ done"), timeout)
        if found is None:
            return None
        return self.marker_fields(found[1]) if found[1].startswith(f"@@ {event}") else None

    @staticmethod
    def marker_fields(line):
        match = MARKER.match(line)
        fields = {"event": match.group(1)}
        rest = match.group(2).strip()
        for token in rest.split():
            if "=" in token:
                key, value = token.split("=", 1)
                fields[key] = value
        return fields

    def markers(self):
        return [self.marker_fields(l) for l in self.reader.snapshot() if MARKER.match(l)]

    def marker(self, event):
        found = [m for m in self.markers() if m["event"] == event]
        return found[-1] if found else None

    def wait_done(self, timeout):
        found = self.reader.wait_for(lambda l: l.startswith("@@ done"), timeout)
        try:
            self.process.wait(10 if found else 1)
        except subprocess.TimeoutExpired:
            pass
        self.elapsed = time.monotonic() - self.started_at
        return found is not None

    def sstpc_log(self):
        return [l[len("sstpc: "):] for l in self.reader.snapshot() if l.startswith("sstpc: ")]

    def console_tail(self, count=25):
        return self.reader.snapshot()[-count:]

    def close(self):
        kill_group(self.process)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        sh(["ip", "-n", GW_NS, "link", "del", self.tap], check=False)


# ---------------------------------------------------------------------------------------------------------------
# The run: namespaces, certificates, users, daemon lifecycle, cleanup

class Run:
    def __init__(self, bin_dir, keep):
        self.bin_dir, self.keep = bin_dir, keep
        self.work = f"/var/tmp/sstp-interop-{TAG}"  # not under /tmp or /run: the guest mounts tmpfs there
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        os.chmod(self.work, 0o755)
        self.certs = os.path.join(self.work, "certs")
        self.users = os.path.join(self.work, "state.sqlite")
        self.daemon = None
        self.guests = []
        self.blob = None
        self.vnet = None  # (topology file, state dir) while a case has a simulated VNet up
        self.next_index = 1
        self.failed = False
        self.figures = {}

    def setup(self):
        sh(["sh", os.path.join(REPO, "certs", "make-demo-certs.sh"), self.certs, SERVER_NAME], timeout=60)
        for user, password in [("alice", "alice-password"), ("bob", "bob-password"), ("carol", "carol-password"),
                               ("dave", "dave-password")]:
            result = subprocess.run([os.path.join(self.bin_dir, "sstpctl"), "user", "add", user, "--password-stdin",
                                     "--state", self.users, "--socket", os.path.join(self.work, "control.sock")], input=password + "\n", capture_output=True,
                                    text=True, timeout=20)
            if result.returncode != 0:
                raise RuntimeError(f"sstpctl user add {user} failed: {result.stderr.strip()}")
        for ns in (GW_NS, HOST_NS):
            sh(["ip", "netns", "add", ns])
            sh(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
            sh(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        sh(["ip", "-n", GW_NS, "link", "add", f"sivg{TAG}", "type", "veth", "peer", "name", f"sivh{TAG}", "netns",
            HOST_NS])
        sh(["ip", "-n", GW_NS, "addr", "add", "10.78.0.1/24", "dev", f"sivg{TAG}"])
        sh(["ip", "-n", HOST_NS, "addr", "add", f"{HOST_ADDRESS}/24", "dev", f"sivh{TAG}"])
        sh(["ip", "-n", GW_NS, "link", "set", f"sivg{TAG}", "up"])
        sh(["ip", "-n", HOST_NS, "link", "set", f"sivh{TAG}", "up"])
        sh(["ip", "-n", HOST_NS, "route", "add", "default", "via", "10.78.0.1"])
        sh(["ip", "netns", "exec", GW_NS, "sysctl", "-qw", "net.ipv4.ip_forward=1"])

    def start_daemon(self, name, extra_toml="", **kwargs):
        self.stop_daemon()
        self.daemon = Daemon(self, name, extra_toml, **kwargs)
        return self.daemon

    def stop_daemon(self):
        status = None
        if self.daemon:
            status = self.daemon.stop()
            self.daemon = None
        return status

    def guest(self, **kwargs):
        guest = Guest(self, self.next_index, **kwargs)
        self.next_index += 1
        self.guests.append(guest)
        return guest

    def release(self, guest):
        guest.close()
        self.guests.remove(guest)

    def sstpctl(self, *args, timeout=60):
        return sh([os.path.join(self.bin_dir, "sstpctl"), *args], timeout=timeout)

    def vnet_down(self):
        """`sstpctl vnet down` for a VNet a case left up (its echo servers are not in `started`)."""
        if self.vnet:
            topology, state = self.vnet
            self.vnet = None
            try:
                self.sstpctl("vnet", "down", topology, "--state-dir", state, timeout=30)
            except Exception as error:  # noqa: BLE001 - best effort during cleanup
                print(f"cleanup: vnet down failed: {error}", flush=True)

    def cleanup(self):
        for guest in list(self.guests):
            guest.close()
        self.guests = []
        if self.daemon:
            kill_group(self.daemon.process)
        for process in started:
            kill_group(process)
        for process in started:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.vnet_down()
        for ns in (GW_NS, HOST_NS):
            sh(["ip", "netns", "del", ns], check=False)
        if self.failed or self.keep:
            print(f"logs kept in {self.work}", flush=True)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# Checks shared by the cases

def check_connected(run, guest, expected_hash, user="alice", ping=True, dns_server=HOST_ADDRESS, method="MS-CHAPv2"):
    """The guest's and sstpd's views of one successful connection. Returns (address, summary)."""
    up = guest.marker("up")
    expect(up is not None, f"{guest.name}: link did not come up ({connect_failure(guest)})")
    address = up.get("address", "")
    expect(address.startswith("10.77.0.") and address != GATEWAY_ADDRESS,
           f"{guest.name}: ppp0 address {address!r} is not from the pool {POOL}")
    dns = (guest.marker("dns") or {}).get("servers")
    expect(dns == dns_server, f"{guest.name}: DNS from IPCP was {dns!r}, expected {dns_server}")
    if ping:
        result = guest.marker("ping") or {}
        expect(result.get("sent") == "3" and result.get("received") == "3",
               f"{guest.name}: ping {HOST_ADDRESS} through the tunnel: {result.get('received', 0)}/3 replies")
    connected = [s for s in map(session_summary, run.daemon.sessions_from(guest.ip).values()) if "address" in s]
    expect(len(connected) == 1, f"sstpd logged {len(connected)} authenticated sessions from {guest.ip}, expected 1")
    summary = connected[0]
    expect(summary.get("user") == user, f"sstpd: session user {summary.get('user')!r}, expected {user!r}")
    expect(summary.get("method") == method, f"sstpd: auth method {summary.get('method')!r}, expected {method}")
    expect(summary.get("address") == address and summary.get("ipcp_address") == address,
           f"sstpd: leased {summary.get('address')!r} / IPCP {summary.get('ipcp_address')!r}, guest has {address}")
    expect(summary.get("binding") == expected_hash,
           f"sstpd: crypto binding {'verified with ' + summary['binding'] if 'binding' in summary else 'NOT verified'}"
           f", expected {expected_hash}")
    expect(dns_server in (summary.get("dns") or ""), f"sstpd: IPCP dns={summary.get('dns')!r}")
    return address, summary


def connect_failure(guest):
    failed = guest.marker("connect-failed")
    tail = [l for l in guest.sstpc_log() if "error" in l.lower() or "fail" in l.lower()][-3:]
    return f"{failed} {tail}" if failed else "no marker; console: " + " | ".join(guest.console_tail(5))


def startup_races(run, guest):
    """Start-up retries the guest made for sstpc's own race. Each one must look like the client bug on sstpd's side
    too (no warning, no authentication for that connection); a server fault is never counted as the race."""
    races = [m for m in guest.markers() if m["event"] == "startup-race"]
    sessions = [session_summary(s) for s in run.daemon.sessions_from(guest.ip).values()]
    failed = [s for s in sessions if "address" not in s]
    for s in failed:
        expect(not s["problems"] and "rejected" not in s,
               f"a retried connection from {guest.ip} shows a server-side problem: {s['problems'] or s['rejected']}")
    expect(len(failed) == len(races),
           f"{guest.name}: {len(races)} start-up retries but {len(failed)} unfinished sessions on sstpd")
    return len(races)


def wait_closed(run, guest, timeout=10):
    """Every sstpd session from this guest logs `session closed` (the lease goes with it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sessions = [session_summary(s) for s in run.daemon.sessions_from(guest.ip).values()]
        if sessions and all("closed" in s for s in sessions):
            return sessions
        time.sleep(0.1)
    raise CaseFailure(f"sstpd still lists a session from {guest.ip} {timeout} s after the client went away")


def run_guest(run, timeout=60, **kwargs):
    guest = run.guest(**kwargs)
    finished = guest.wait_done(timeout)
    expect(finished, f"{guest.name} did not finish within {timeout} s; console: "
           + " | ".join(guest.console_tail(8)))
    return guest


# ---------------------------------------------------------------------------------------------------------------
# Cases

def case_mschapv2_sha256(run):
    """1. MS-CHAPv2, CA-verified TLS: pool address, DNS, ping behind the gateway, binding verified with SHA-256."""
    run.start_daemon("sstpd-default")
    guest = run_guest(run)
    address, _ = check_connected(run, guest, "SHA-256")
    ended = guest.marker("ended") or {}
    expect(ended.get("by") == "client" and ended.get("ppp0") == "gone", f"client disconnect: {ended}")
    wait_closed(run, guest)
    return f"address {address}, dns {HOST_ADDRESS}, ping 3/3, binding SHA-256, {guest.elapsed:.1f} s"


def case_sha1_only(run):
    """2. sstpd offers only SHA-1: sstpc binds with SHA-1 and sstpd verifies it."""
    run.start_daemon("sstpd-sha1", '[sstp]\nhash_protocols = ["sha1"]\n')
    guest = run_guest(run)
    address, _ = check_connected(run, guest, "SHA-1")
    wait_closed(run, guest)
    return f"address {address}, binding SHA-1, {guest.elapsed:.1f} s"


def case_sstp_hello(run):
    """8. Keep-alive: with hello_interval = 5 s (the minimum), sstpd sends SSTP Echo Requests to an idle sstpc, which answers; the
    link stays up."""
    run.start_daemon("sstpd-hello", "[sstp]\nhello_interval = 5\n")
    guest = run_guest(run, idle=11)
    check_connected(run, guest, "SHA-256")
    echoes = [l for l in guest.sstpc_log() if "ECHO REQUEST" in l.upper()]
    replies = [l for l in guest.sstpc_log() if "ECHO RESPONSE" in l.upper() or "ECHO REPLY" in l.upper()]
    expect(echoes, "sstpc logged no SSTP Echo Request from sstpd during 11 s of silence")
    expect(replies, f"sstpc did not answer the Echo Request: {echoes[:2]}")
    after = guest.marker("ping-after-idle") or {}
    expect(after.get("received") == "3", f"ping after the idle period: {after.get('received', 0)}/3")
    sessions = wait_closed(run, guest)
    summary = [s for s in sessions if "address" in s][0]
    expect(not summary["problems"], f"sstpd logged problems: {summary['problems']}")
    return f"{len(echoes)} Echo Request(s) answered by sstpc; ping 3/3 after 11 s idle"


def case_wrong_password(run):
    """3. Wrong password: pppd sees E=691, sstpd logs the rejection, leases nothing, and keeps serving."""
    daemon = run.start_daemon("sstpd-auth")
    guest = run_guest(run, password="not-the-password", ping=False)
    failed = guest.marker("connect-failed")
    expect(failed is not None and guest.marker("up") is None, "the link came up with a wrong password")
    failures = [l for l in guest.sstpc_log() if "CHAP Failure" in l]
    expect(any("E=691" in l for l in failures), f"pppd did not see E=691: {failures or guest.sstpc_log()[-5:]}")
    sessions = [session_summary(s) for s in daemon.sessions_from(guest.ip).values()]
    rejected = [s for s in sessions if "rejected" in s]
    expect(rejected, f"sstpd did not log the rejected attempt: {[s['messages'] for s in sessions]}")
    expect(not any("address" in s or "ipcp_address" in s for s in sessions), "sstpd leased an address anyway")
    wait_closed(run, guest)
    expect(daemon.alive(), "sstpd exited after a failed authentication")
    # Still serving: the right password connects next.
    good = run_guest(run, ping=False)
    address, _ = check_connected(run, good, "SHA-256", ping=False)
    wait_closed(run, good)
    return f"pppd: {failures[0].strip()[:80]}...; sstpd rejected and then served {address}"


def case_client_disconnect(run):
    """4a. sstpc gets SIGTERM: both sides tear down, the lease comes back, no stale session."""
    daemon = run.start_daemon("sstpd-client-end")
    first = run_guest(run, ping=False, end="client-term")
    address, _ = check_connected(run, first, "SHA-256", ping=False)
    ended = first.marker("ended") or {}
    expect(ended.get("by") == "client" and ended.get("ppp0") == "gone", f"guest after SIGTERM: {ended}")
    sessions = wait_closed(run, first)
    ended_server = [s for s in sessions if "address" in s][0]
    expect("call_ended" in ended_server or "closed" in ended_server, "sstpd logged no end of the call")
    # The pool gives a user back its last address only if that address is free again: same address = lease released.
    second = run_guest(run, ping=False, end="client-term")
    again, _ = check_connected(run, second, "SHA-256", ping=False)
    expect(again == address, f"reconnect got {again}, not the released {address}: the lease did not come back")
    wait_closed(run, second)
    stale = daemon.open_sessions()
    expect(not stale, f"sstpd still has sessions {sorted(stale)} open")
    return (f"sstpd: session closed ({ended_server['closed']}); reconnect got {again} again (lease released); "
            f"no open session")


def case_pppd_disconnect(run):
    """4c. pppd ends the link (SIGTERM to pppd: LCP Terminate, then sstpc's Call Disconnect): both sides tear down."""
    daemon = run.start_daemon("sstpd-pppd-end")
    guest = run_guest(run, ping=False, end="pppd-term")
    check_connected(run, guest, "SHA-256", ping=False)
    ended = guest.marker("ended") or {}
    expect(ended.get("by") == "pppd" and ended.get("ppp0") == "gone", f"guest after SIGTERM to pppd: {ended}")
    log = guest.sstpc_log()
    expect(any("sent [LCP TermReq" in l for l in log), "pppd sent no LCP Terminate-Request")
    expect(any("rcvd [LCP TermAck" in l for l in log), "sstpd did not acknowledge pppd's LCP Terminate-Request")
    sessions = wait_closed(run, guest)
    summary = [s for s in sessions if "address" in s][0]
    expect(not summary["problems"], f"sstpd logged problems: {summary['problems']}")
    expect(not daemon.open_sessions(), "sstpd left a session open")
    sstp_end = f"call ended ({summary['call_ended']})" if "call_ended" in summary else f"closed ({summary['closed']})"
    return f"pppd LCP TermReq, sstpd TermAck; sstpd session {sstp_end}"


def case_server_disconnect(run):
    """4b. SIGTERM to sstpd: Call Disconnect to the live session, sstpc and pppd go down, sstpd exits 0."""
    daemon = run.start_daemon("sstpd-server-end")
    guest = run.guest(ping=False, end="wait-server", hold=20)
    waiting = guest.wait_marker("waiting", 45)
    expect(waiting is not None, f"link did not come up: {connect_failure(guest)}")
    check_connected(run, guest, "SHA-256", ping=False)
    t0 = time.monotonic()
    status = run.stop_daemon()
    expect(status == 0, f"sstpd exit status after SIGTERM: {status}")
    ended = guest.wait_marker("ended", 25) or {}
    took = time.monotonic() - t0
    expect(guest.wait_done(15), "guest did not finish")
    expect(ended.get("by") == "server" and ended.get("ppp0") == "gone", f"guest after sstpd's SIGTERM: {ended}")
    sessions = [session_summary(s) for s in daemon.sessions_from(guest.ip).values()]
    expect(all("closed" in s for s in sessions), "sstpd exited without closing the session")
    expect(not daemon.open_sessions(), "sstpd left a session open")
    log = guest.sstpc_log()
    expect(any("TYPE(6): DISCONNECT" in l for l in log), "sstpc received no SSTP Call Disconnect")
    expect(any("Sending Disconnect Ack" in l for l in log), "sstpc did not acknowledge a Call Disconnect")
    return f"Call Disconnect / Ack, sstpd exit 0; guest link down {took:.1f} s after SIGTERM"


def case_ipv6cp(run):
    """5. IPV6CP on: negotiation completes and the link-local addresses work over the tunnel."""
    daemon = run.start_daemon("sstpd-ipv6", "[ppp]\nipv6 = true\n")
    guest = run_guest(run, ipv6=True)
    check_connected(run, guest, "SHA-256")
    sessions = [session_summary(s) for s in daemon.sessions_from(guest.ip).values()]
    expect(any("ipv6cp" in s for s in sessions), "sstpd did not log IPV6CP up")
    ipv6 = guest.marker("ipv6") or {}
    expect(ipv6.get("local", "none") != "none" and ipv6.get("remote", "none") != "none",
           f"guest: ppp0 link-local addresses {ipv6}")
    ping6 = guest.marker("ping6") or {}
    expect(ping6.get("received") == "3",
           f"IPV6CP up (local {ipv6.get('local')}, remote {ipv6.get('remote')}) but ping6 to the gateway's link-local "
           f"address got {ping6.get('received', 0)}/3 replies")
    wait_closed(run, guest)
    return f"IPV6CP up, local {ipv6['local']}, remote {ipv6['remote']}, ping6 3/3"


def case_many_guests(run):
    """6. Ten guests one after another, then three at once: each connects (start-up races reported apart)."""
    daemon = run.start_daemon("sstpd-many")
    races, times = 0, []
    for _ in range(10):
        guest = run_guest(run)
        check_connected(run, guest, "SHA-256")
        races += startup_races(run, guest)
        wait_closed(run, guest)
        times.append(guest.elapsed)
        run.release(guest)
    t0 = time.monotonic()
    users = [("bob", "bob-password"), ("carol", "carol-password"), ("dave", "dave-password")]
    parallel = [run.guest(user=u, password=p) for u, p in users]
    for guest in parallel:
        expect(guest.wait_done(90), f"{guest.name} did not finish; console: " + " | ".join(guest.console_tail(8)))
    addresses = set()
    for guest, (user, _) in zip(parallel, users):
        address, _ = check_connected(run, guest, "SHA-256", user=user)
        addresses.add(address)
        races += startup_races(run, guest)
    expect(len(addresses) == 3, f"parallel guests share addresses: {sorted(addresses)}")
    for guest in parallel:
        wait_closed(run, guest)
    expect(not daemon.open_sessions(), "sstpd left sessions open")
    run.figures["sstpc_startup_retries"] = races
    times.sort()
    return (f"10 sequential (median {times[len(times) // 2]:.1f} s each) + 3 parallel ({time.monotonic() - t0:.1f} s)"
            f" all connected; sstpc start-up retries (client race, not counted as failures): {races}")


def case_transfer(run):
    """7. 20 MiB down and 20 MiB up through the tunnel, SHA-256 checked at both ends; Mbit/s recorded."""
    run.start_daemon("sstpd-transfer")
    blob = os.path.join(run.work, "blob.bin")
    with open(blob, "wb") as f:
        f.write(os.urandom(TRANSFER_BYTES))
    with open(blob, "rb") as f:
        expected = hashlib.sha256(f.read()).hexdigest()
    server = spawn(["ip", "netns", "exec", HOST_NS, sys.executable, BLOB_SERVER, "--down-port", str(DOWN_PORT),
                    "--up-port", str(UP_PORT), "--file", blob, "--up-bytes", str(TRANSFER_BYTES)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT)
    reader = LineReader(server.stdout, os.path.join(run.work, "blob-server.log"))
    try:
        expect(reader.wait_for(lambda l: l == "ready", 10) is not None, "blob server did not start")
        guest = run_guest(run, ping=False, transfer=True, timeout=150)
        check_connected(run, guest, "SHA-256", ping=False)
        down = guest.marker("download") or {}
        expect(down.get("bytes") == str(TRANSFER_BYTES) and down.get("sha256") == expected,
               f"download arrived as {down.get('bytes')} bytes sha256 {down.get('sha256', '?')[:16]}…, "
               f"sent {TRANSFER_BYTES} bytes {expected[:16]}…")
        up = guest.marker("upload") or {}
        found = reader.wait_for(lambda l: '"kind": "upload"' in l, 10)
        expect(found is not None, "the host behind the gateway received no upload")
        received = json.loads(found[1])
        expect(up.get("host-sha256") == up.get("sha256"), f"the guest's upload was not acknowledged intact: {up}")
        expect(received["bytes"] == TRANSFER_BYTES and received["sha256"] == up.get("sha256"),
               f"upload arrived as {received['bytes']} bytes sha256 {received['sha256'][:16]}…, "
               f"guest sent {up.get('bytes')} bytes {up.get('sha256', '?')[:16]}…")
        down_mbps = TRANSFER_BYTES * 8 / (int(down["ns"]) / 1e9) / 1e6
        up_mbps = TRANSFER_BYTES * 8 / received["seconds"] / 1e6
        run.figures["download_mbps"], run.figures["upload_mbps"] = down_mbps, up_mbps
        wait_closed(run, guest)
        return f"20 MiB down {down_mbps:.1f} Mbit/s, 20 MiB up {up_mbps:.1f} Mbit/s, both SHA-256 intact"
    finally:
        kill_group(server)


# The simulated VNet of case 9 (docs/vnet.md): a hub with the GatewaySubnet and an app subnet, a spoke with a db
# subnet, peered with gateway transit; the P2S pool is the suite's pool, the DNS server a VM of the hub.
VNET_VMS = [("web1", "10.1.1.4", True), ("web2", "10.1.1.5", True), ("db1", "10.2.1.4", True),
            ("db2", "10.2.1.5", False)]  # (name, address, serves UDP echo)
VNET_ROUTES = ["10.1.0.0/16", "10.2.0.0/16"]
VNET_DNS = "10.1.1.4"


def vnet_topology():
    vms = {"hub": [], "spoke": []}
    for name, address, udp in VNET_VMS:
        services = '["icmp", "tcp-echo", "udp-echo"]' if udp else '["icmp", "tcp-echo"]'
        vms["hub" if address.startswith("10.1.") else "spoke"].append(
            f'  [[vnet.vm]]\n  name = "{name}"\n  subnet = "{"app" if address.startswith("10.1.") else "db"}"\n'
            f'  address = "{address}"\n  services = {services}\n')
    return f"""[[vnet]]
name = "hub"
address_space = ["10.1.0.0/16"]
  [[vnet.subnet]]
  name = "GatewaySubnet"
  prefix = "10.1.255.0/27"
  [[vnet.subnet]]
  name = "app"
  prefix = "10.1.1.0/24"
{"".join(vms["hub"])}
[[vnet]]
name = "spoke"
address_space = ["10.2.0.0/16"]
  [[vnet.subnet]]
  name = "db"
  prefix = "10.2.1.0/24"
{"".join(vms["spoke"])}
[[peering]]
vnets = ["hub", "spoke"]
allow_gateway_transit = true

[gateway]
vnet = "hub"
namespace = "{GW_NS}"
address = "10.1.255.4"

[p2s]
pool = "{POOL}"
dns = ["{VNET_DNS}"]
domain = "corp.example"
"""


def vnet_leftovers(state):
    """What of the topology is still there: namespaces named after the gateway's, its links and routes in the
    gateway namespace, the state directory, echo servers."""
    left = [ns.split()[0] for ns in sh(["ip", "netns", "list"]).splitlines() if ns.startswith(f"{GW_NS}-")]
    left += [f"link {l.split(':')[1].strip()}" for l in sh(["ip", "-n", GW_NS, "-o", "link", "show"]).splitlines()
             if l.split(":")[1].strip().startswith("vn-")]
    left += [f"route {r}" for r in sh(["ip", "-n", GW_NS, "route", "show"]).splitlines()
             if r.startswith(("10.1.", "10.2."))]
    if os.path.exists(os.path.join(state, GW_NS)):
        left.append(f"state {os.path.join(state, GW_NS)}")
    left += [f"echo server {pid}" for pid in echo_servers(state)]
    return left


def echo_servers(state):
    """Process ids of the echo servers `vnet up` started (their --ready-file lies in the state directory)."""
    return subprocess.run(["pgrep", "-f", f"echo-server --ready-file {state}/"], capture_output=True,
                          text=True).stdout.split()


def case_vnet_reachability(run):
    """9. sstpc reaches every VM of a simulated VNet (issue 4): `sstpctl vnet up` in the suite's gateway namespace,
    sstpd with `[vnet] topology`, ping + TCP echo + UDP echo from the guest, then `vnet down` leaves nothing."""
    t0 = time.monotonic()
    topology = os.path.join(run.work, "vnet.toml")
    state = os.path.join(run.work, "vnet-state")
    with open(topology, "w") as f:
        f.write(vnet_topology())
    check = run.sstpctl("vnet", "check", topology, timeout=20)
    routes = next((l.split(":", 1)[1].strip().split(", ") for l in check.splitlines()
                   if l.startswith("routes for clients:")), None)
    expect(routes == VNET_ROUTES, f"sstpctl vnet check: routes for clients {routes}, expected {VNET_ROUTES}")
    # The guest mounts tmpfs over /tmp and /run: it sees the work directory (/var/tmp), not every build directory.
    echo_check = os.path.join(run.work, "sstpctl")
    shutil.copy2(os.path.join(run.bin_dir, "sstpctl"), echo_check)
    run.vnet = (topology, state)
    try:
        run.sstpctl("vnet", "up", topology, "--state-dir", state, timeout=40)
        built = time.monotonic() - t0
        servers = echo_servers(state)
        expect(len(servers) == len(VNET_VMS), f"vnet up: {len(servers)} echo servers running, not {len(VNET_VMS)}")
        # pool/dns come from the topology: no [pool] dns here, so the topology's DNS server is what IPCP hands out.
        daemon = run.start_daemon("sstpd-vnet", f'[vnet]\ntopology = "{topology}"\n', dns=())
        guest = run_guest(run, ping=False, routes=routes, vnet=[a for _, a, _ in VNET_VMS], echo_check=echo_check,
                          timeout=45)
        address, _ = check_connected(run, guest, "SHA-256", ping=False, dns_server=VNET_DNS)
        failed_routes = [m.get("route") for m in guest.markers() if m["event"] == "route-failed"]
        expect(not failed_routes, f"guest: ip route add failed for {failed_routes}")
        results = {m.get("target"): m for m in guest.markers() if m["event"] == "vnet"}
        problems = []
        for name, vm, udp in VNET_VMS:
            r = results.get(vm)
            if r is None:
                problems.append(f"{name} {vm}: not checked")
                continue
            if r.get("received") != r.get("sent") or r.get("sent") in (None, "?", "0"):
                problems.append(f"{name} {vm}: ping {r.get('received', 0)}/{r.get('sent', '?')}")
            if r.get("tcp") != "ok":
                problems.append(f"{name} {vm}: TCP echo {r.get('tcp')}")
            if r.get("udp") != ("ok" if udp else "no-echo"):
                problems.append(f"{name} {vm}: UDP echo {r.get('udp')}, expected {'ok' if udp else 'no-echo'}")
        expect(not problems, "through the tunnel: " + "; ".join(problems))
        wait_closed(run, guest)
        summary = [session_summary(s) for s in daemon.sessions_from(guest.ip).values() if s]
        noisy = [p for s in summary for p in s["problems"]]
        expect(not noisy, f"sstpd logged problems: {noisy}")
        run.stop_daemon()
    finally:
        run.vnet_down()
    left = vnet_leftovers(state)
    expect(not left, f"after vnet down: {left}")
    expect(GW_NS in sh(["ip", "netns", "list"]), "vnet down deleted the suite's gateway namespace")
    took = time.monotonic() - t0
    expect(took < 60, f"the case took {took:.1f} s (bound: 60 s)")
    udp = sum(1 for _, _, u in VNET_VMS if u)
    return (f"vnet up {built:.1f} s; sstpc got {address} and DNS {VNET_DNS} from the topology; routes "
            f"{' '.join(routes)} added via ppp0 by hand (pppd sends no DHCPINFORM); {len(VNET_VMS)}/{len(VNET_VMS)} VMs "
            f"answer ping and TCP echo, {udp}/{udp} UDP echo (db2, no udp-echo, silent); vnet down left nothing, "
            f"gateway namespace kept")


# EAP-TLS (cases 10a-10c). The client certificate is the fixture's (CN alice, clientAuth, issued by
# Tests/Fixtures/certs/ca.pem, which sstpd gets as `client_ca`); pppd checks sstpd's inner EAP-TLS certificate (the
# run's server certificate) against the run's CA and its CN against `remotename`.

def eap_tls_setup(run):
    """Copies the fixture client certificate, its key and CA where the guest can read them (the work directory);
    returns (client_ca, (certificate, key))."""
    eap = os.path.join(run.work, "eap")
    os.makedirs(eap, exist_ok=True)
    fixtures = os.path.join(REPO, "Tests", "Fixtures", "certs")
    for name in ("ca.pem", "client.pem", "client.key"):
        shutil.copy2(os.path.join(fixtures, name), os.path.join(eap, name))
    return os.path.join(eap, "ca.pem"), (os.path.join(eap, "client.pem"), os.path.join(eap, "client.key"))


def eap_tls_daemon(run, name, client_ca, extra_toml=""):
    # EAP-TLS first (requested in LCP); an MS-CHAPv2 client (pppd refuse-eap) Naks and gets MS-CHAPv2.
    return run.start_daemon(name, f'[auth]\nmethods = ["eap-tls", "mschapv2"]\nclient_ca = "{client_ca}"\n'
                            + extra_toml)


def make_untrusted_client(run):
    """A CA sstpd does not trust (same subject name as the trusted one, "sstpd demo CA") and a client certificate
    from it that is otherwise like the fixture's: CN alice, clientAuth. Made with openssl in the work directory."""
    d = os.path.join(run.work, "untrusted")
    os.makedirs(d, exist_ok=True)
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("[v3_ca]\nbasicConstraints = critical, CA:true\nkeyUsage = critical, keyCertSign, cRLSign\n"
                "subjectKeyIdentifier = hash\n"
                "[v3_client]\nbasicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature\n"
                "extendedKeyUsage = clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid, issuer\n")
    ca_key, ca_pem = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, pem = os.path.join(d, "client.key"), os.path.join(d, "client.csr"), os.path.join(d, "client.pem")
    sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "2",
        "-subj", "/CN=sstpd demo CA", "-config", ext, "-extensions", "v3_ca"])
    sh(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=alice",
        "-config", ext])
    sh(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-set_serial", "0x5e1f",
        "-days", "2", "-extfile", ext, "-extensions", "v3_client", "-out", pem])
    return pem, key


def sstpc_packets(log, title):
    """The bytes of every SSTP packet sstpc dumped (--log-level 7) after a line containing `title`, in order."""
    hex_line = re.compile(r"\]:\s+((?:0x[0-9A-Fa-f]{2}\s*)+)$")
    packets = []
    for n, line in enumerate(log):
        if title in line:
            data = bytearray()
            for k, following in enumerate(log[n + 1:]):
                match = hex_line.search(following)
                if match:
                    data += bytes(int(h, 16) for h in match.group(1).split())
                elif data or k >= 4:  # the dump follows the attribute lines at once
                    break
            packets.append(bytes(data))
    return packets


def sstpc_packet(log, title):
    """The bytes of the first SSTP packet sstpc dumped (--log-level 7) after a line containing `title`."""
    packets = sstpc_packets(log, title)
    return packets[0] if packets else None


def pppd_errors(log, count=5):
    """pppd's and sstpc's complaints (certificate checks, TLS alerts, EAP failures), without the dumps and without
    pppd 2.4.9's harmless complaint about the missing /etc/ppp/openssl.cnf."""
    return [l.strip() for l in log if "]:   " not in l and "openssl.cnf" not in l
            and re.search(r"error|alert|fail|refus|abort", l, re.IGNORECASE)][-count:]


def pppd_value(log, pattern):
    found = [m for m in (re.search(pattern, l) for l in log) if m]
    return found[-1].group(1) if found else None


def compound_mac_sha256(hlak, call_connected):
    """MS-SSTP §3.2.5.2.4: CMK = HMAC-SHA256(HLAK, "SSTP inner method derived CMK" | 0x20 0x00 | 0x01), MAC =
    HMAC-SHA256(CMK, the 112-byte Call Connected with the MAC field zeroed)."""
    cmk = hmac.new(hlak, b"SSTP inner method derived CMK" + bytes([32, 0, 1]), hashlib.sha256).digest()
    return hmac.new(cmk, call_connected[:80] + bytes(32), hashlib.sha256).digest()


def der_of_first_certificate(pem_file):
    with open(pem_file) as f:
        pem = f.read().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    der = subprocess.run(["openssl", "x509", "-outform", "der"], input=pem.encode(), capture_output=True,
                         timeout=10).stdout
    expect(der, f"openssl could not read the certificate in {pem_file}")
    return der


def server_hello(log):
    """(TLS version, cipher suite id) of the inner ServerHello pppd received, from the first EAP-TLS Request in
    sstpc's packet dump whose TLS data starts with a handshake record holding a ServerHello. Packet layout: SSTP
    header (4), PPP FF 03 C2 27 (4), EAP code/id/length (4), type 13, flags, [TLS message length (4) if L]. The
    version is "1.3" if the ServerHello has a supported_versions extension (RFC 8446 §4.2.1), else its
    server_version ("1.2" for 03 03)."""
    for packet in sstpc_packets(log, "REQUEST TLS"):
        if len(packet) < 14 or packet[12] != 13:
            continue
        tls = packet[18:] if packet[13] & 0x80 else packet[14:]
        if len(tls) < 44 or tls[0] != 0x16 or tls[5] != 0x02:
            continue
        at = 44 + tls[43]  # record header 5, handshake header 4, version 2, random 32, session id
        suite = int.from_bytes(tls[at:at + 2], "big")
        at += 3  # suite, compression method
        end = min(len(tls), at + 2 + int.from_bytes(tls[at:at + 2], "big"))
        extensions, at = [], at + 2
        while at + 4 <= end:
            extensions.append(int.from_bytes(tls[at:at + 2], "big"))
            at += 4 + int.from_bytes(tls[at + 2:at + 4], "big")
        version = "1.3" if 0x002B in extensions else f"1.{tls[10] - 1}" if tls[9] == 3 else tls[9:11].hex()
        return version, suite
    return None


def openssl_cipher_name(suite):
    """OpenSSL's name for a TLS cipher suite id (`openssl ciphers -V`: "0xC0,0x30 - ECDHE-RSA-AES256-GCM-SHA384 ...")."""
    listing = subprocess.run(["openssl", "ciphers", "-V", "ALL:COMPLEMENTOFALL"], capture_output=True, text=True,
                             timeout=10).stdout
    wanted = f"0x{suite >> 8:02X},0x{suite & 0xFF:02X}"
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0].upper() == wanted.upper():
            return fields[2]
    return f"unknown suite {wanted}"


def check_pppd_eap_tls(run, log):
    """The guest's view of a successful EAP-TLS run by pppd 2.4.9, up to sstpc's Call Connected: TLS 1.2, sstpd's
    certificate CN checked, 16-byte MPPE keys, and a Call Connected that echoes sstpd's nonce, carries the SHA-256 of
    its leaf and a Compound MAC keyed with HLAK = send16 | recv16 (recomputed here from pppd's logged keys).
    Returns (pppd's TLS version "TLS 1.2", OpenSSL's name of the negotiated cipher suite)."""
    expect(any("EAP authentication succeeded" in l for l in log),
           "pppd: EAP-TLS did not succeed: " + " | ".join(pppd_errors(log) or log[-6:]))
    tls = pppd_value(log, r"Handshake: Finished: (TLS [0-9.]+)")
    expect(tls == "TLS 1.2", f"pppd's EAP-TLS handshake: {tls!r} (pppd 2.4.9's default max-tls-version is 1.2)")
    hello = server_hello(log)
    expect(hello is not None, "no inner ServerHello in sstpc's packet dump")
    expect(hello[0] == "1.2", f"the inner ServerHello pppd got says TLS {hello[0]}, pppd's Finished says {tls}")
    cipher = openssl_cipher_name(hello[1])
    peer = pppd_value(log, r"Certificate CN: (.*)$")
    expect(peer is not None and peer.split(" , peer name ")[0].strip() == SERVER_NAME,
           f"pppd did not check sstpd's certificate CN against remotename: {peer!r}")
    send, recv = pppd_value(log, r"mppe send key \((\d+)\)"), pppd_value(log, r"mppe recv key \((\d+)\)")
    expect(send == "16" and recv == "16", f"pppd handed sstpc MPPE keys of {send}/{recv} bytes, expected 16/16")
    send_key = bytes.fromhex(pppd_value(log, r"mppe send key \(\d+\): ([0-9a-f]+)"))
    recv_key = bytes.fromhex(pppd_value(log, r"mppe recv key \(\d+\): ([0-9a-f]+)"))
    ack = sstpc_packet(log, "TYPE(2): CONNECT ACK")
    connected = sstpc_packet(log, "TYPE(4): CONNECTED")
    expect(ack is not None and len(ack) == 48, f"no Call Connect Acknowledge in sstpc's dump: {ack!r}")
    expect(connected is not None and len(connected) == 112, f"sstpc sent no Call Connected: {connected!r}")
    expect(connected[15] == 2, f"Call Connected hash protocol {connected[15]}, expected 2 (SHA-256)")
    expect(connected[16:48] == ack[16:48], "sstpc's Call Connected does not echo sstpd's nonce")
    leaf = der_of_first_certificate(os.path.join(run.certs, "server.pem"))
    expect(connected[48:80] == hashlib.sha256(leaf).digest(), "sstpc's certificate hash is not sstpd's leaf")
    expect(connected[80:] == compound_mac_sha256(send_key + recv_key, connected),
           "sstpc's Compound MAC is not HMAC(CMK(send16|recv16)): the HLAK explanation does not hold")
    return tls, cipher


def eap_tls_session(run, guest, tls, cipher):
    """sstpd's one authenticated session from this guest: user alice by EAP-TLS, and from `authenticated` on every
    line carries eap-tls="TLSv1.2 <cipher>" (the version pppd finished with, the suite of the ServerHello it got) and
    certificate=<SHA-1 of the fixture client certificate's DER, upper-case hex>. Returns the session's summary."""
    sessions = [entries for entries in run.daemon.sessions_from(guest.ip).values()
                if any(e["message"].startswith("authenticated") for e in entries)]
    expect(len(sessions) == 1, f"sstpd logged {len(sessions)} authenticated sessions from {guest.ip}")
    entries = sessions[0]
    summary = session_summary(entries)
    expect(summary.get("user") == "alice" and summary.get("method") == "EAP-TLS",
           f"sstpd: user {summary.get('user')!r}, method {summary.get('method')!r}; expected alice, EAP-TLS")
    thumbprint = hashlib.sha1(der_of_first_certificate(
        os.path.join(REPO, "Tests", "Fixtures", "certs", "client.pem"))).hexdigest().upper()
    expected = (f"TLSv{tls.split()[-1]} {cipher}", thumbprint)
    later = entries[next(i for i, e in enumerate(entries) if e["message"].startswith("authenticated")):]
    wrong = [f"{e['message']}: eap-tls={e['meta'].get('eap-tls')!r} certificate={e['meta'].get('certificate')!r}"
             for e in later if (e["meta"].get("eap-tls"), e["meta"].get("certificate")) != expected]
    expect(not wrong, f"sstpd's EAP-TLS metadata, expected eap-tls={expected[0]!r} certificate={expected[1]}: "
           + "; ".join(wrong[:3]))
    return summary


def case_eap_tls(run):
    """10a. EAP-TLS with the real pppd 2.4.9 (`ca`/`cert`/`key`), sstpd's default settings: the TLS 1.2 handshake
    and the certificate check succeed on both sides (sstpd: user alice, method EAP-TLS, eap-tls=TLSv1.2 <the suite
    pppd got>, certificate=<SHA-1 of client.pem>, address leased), but the crypto binding cannot verify: pppd 2.4.9
    hands its plugin 16-byte MPPE keys (MSK[0:16], MSK[32:48]), so sstpc's HLAK is send16|recv16, not the 32-byte
    client MasterSendKey = MSK[0:32] (MS-SSTP §3.2.5.2, RFC 5216) that sstpd uses. The case recomputes sstpc's
    Compound MAC from pppd's logged keys to prove exactly that, and checks that sstpd then does what §3.3.5.2.3 asks
    and says why: warning `aborting the call reason=crypto binding failed: compound MAC mismatch`, Call Abort (Status
    Info: attribute Crypto Binding, ATTRIB_STATUS_VALUE_NOT_SUPPORTED), no data, no IPCP, the lease released (an
    MS-CHAPv2 alice gets the same address next)."""
    client_ca, client = eap_tls_setup(run)
    daemon = eap_tls_daemon(run, "sstpd-eap-tls", client_ca)
    guest = run_guest(run, eap_tls=client, ping=False)
    log = guest.sstpc_log()
    failed = guest.marker("connect-failed") or {}
    # The guest's view: EAP-TLS succeeded, then the SSTP call was aborted before IPCP finished.
    tls, cipher = check_pppd_eap_tls(run, log)
    abort = sstpc_packet(log, "TYPE(5): ABORT")
    # Status Info (§2.2.9, 12 bytes): reserved, id 2, length 12, 3 reserved, AttribID, Status (4 bytes).
    expect(abort is not None and len(abort) == 20 and abort[8:12] == bytes([0, 2, 0, 12]),
           f"sstpc received no Call Abort with a Status Info attribute: {abort!r}")
    expect(abort[15] == 3 and abort[16:20] == bytes([0, 0, 0, 4]),
           f"Call Abort Status Info: attribute {abort[15]}, status {abort[16:20].hex()} (expected 3 = Crypto "
           f"Binding, 00000004 = ATTRIB_STATUS_VALUE_NOT_SUPPORTED, §3.3.5.2.3)")
    expect(guest.marker("up") is None, "ppp0 got an address although the crypto binding failed")
    expect(failed.get("reason") == "sstpc-exited", f"guest: {failed or guest.console_tail(5)}")
    # sstpd's view: one session, authenticated as alice by EAP-TLS, aborted for the Compound MAC, closed with no data.
    wait_closed(run, guest)
    summary = eap_tls_session(run, guest, tls, cipher)
    expect(summary.get("abort") == "crypto binding failed: compound MAC mismatch",
           f"sstpd's `aborting the call` warning: reason {summary.get('abort')!r}, expected 'crypto binding failed: "
           "compound MAC mismatch'")
    expect("binding" not in summary, f"sstpd verified a binding ({summary.get('binding')}) sstpc computed wrongly")
    expect("ipcp_address" not in summary, "sstpd finished IPCP for a call whose binding failed")
    expect(summary.get("packets") == ("0", "0"), f"sstpd forwarded data before Call Connected: {summary.get('packets')}")
    leased = summary["address"]
    # The lease came back: MS-CHAPv2 alice (pppd refuse-eap Naks EAP) gets the address of the aborted session.
    good = run_guest(run, ping=False)
    address, _ = check_connected(run, good, "SHA-256", ping=False)
    expect(address == leased, f"MS-CHAPv2 alice got {address}, not {leased} of the aborted EAP-TLS session: "
           "the lease was not released")
    wait_closed(run, good)
    expect(daemon.alive(), "sstpd exited")
    return (f"{tls} ({summary['eap_tls']}), sstpd's certificate CN checked by pppd, sstpd: user alice method EAP-TLS "
            f"{leased} certificate {summary['certificate'][:8]}… = SHA-1(client.pem); pppd keys 16+16 bytes, sstpc "
            f"MAC = HMAC(CMK(send16|recv16)) -> sstpd `aborting the call` ({summary['abort']}), Call Abort (Crypto "
            f"Binding, VALUE_NOT_SUPPORTED), binding NOT verified, no IPCP, no data; MS-CHAPv2 fallback got "
            f"{address} back")


LEGACY_BINDING_KEY = "pppd-2.4 EAP-TLS (sstp.legacy_eap_tls_binding)"


def case_eap_tls_legacy_binding(run):
    """10c. The same pppd 2.4.9 EAP-TLS client as 10a against sstpd with `[sstp] legacy_eap_tls_binding = true`:
    sstpd checks the Compound MAC keyed with MSK[0:16] | MSK[32:48] after the spec's HLAK fails (nonce and
    certificate hash still checked), so the call connects: ppp0 gets a pool address and DNS, ping through the tunnel,
    sstpd logs `call connected, crypto binding verified` hash=SHA-256 binding-key=<the legacy key>, IPCP up; sstpc's
    SIGTERM ends it, the session closes without a warning and the lease comes back (the next EAP-TLS alice gets the
    same address)."""
    client_ca, client = eap_tls_setup(run)
    daemon = eap_tls_daemon(run, "sstpd-eap-tls-legacy", client_ca, "[sstp]\nlegacy_eap_tls_binding = true\n")
    guest = run_guest(run, eap_tls=client)
    log = guest.sstpc_log()
    tls, cipher = check_pppd_eap_tls(run, log)  # the MAC sstpd accepts is the send16|recv16 one, recomputed here
    expect(sstpc_packet(log, "TYPE(5): ABORT") is None, "sstpc received a Call Abort")
    address, _ = check_connected(run, guest, "SHA-256", method="EAP-TLS")
    ended = guest.marker("ended") or {}
    expect(ended.get("by") == "client" and ended.get("ppp0") == "gone", f"client disconnect: {ended}")
    wait_closed(run, guest)
    summary = eap_tls_session(run, guest, tls, cipher)
    expect(summary.get("binding_key") == LEGACY_BINDING_KEY,
           f"sstpd: `call connected, crypto binding verified` binding-key={summary.get('binding_key')!r}, expected "
           f"{LEGACY_BINDING_KEY!r}")
    expect(not summary["problems"], f"sstpd logged problems: {summary['problems']}")
    expect(int(summary["packets"][0] or 0) >= 3 and int(summary["packets"][1] or 0) >= 3,
           f"sstpd forwarded packets in/out {summary['packets']}, expected at least the 3 pings each way")
    # The lease came back: the same client again gets the same address (the pool hands a user back its last
    # address only if it is free), and binds the same way.
    again = run_guest(run, eap_tls=client, ping=False)
    second, _ = check_connected(run, again, "SHA-256", ping=False, method="EAP-TLS")
    expect(second == address, f"the second EAP-TLS alice got {second}, not the released {address}")
    wait_closed(run, again)
    expect(eap_tls_session(run, again, tls, cipher).get("binding_key") == LEGACY_BINDING_KEY,
           "the second connection did not verify with the legacy key")
    expect(not daemon.open_sessions(), "sstpd left a session open")
    expect(daemon.alive(), "sstpd exited")
    return (f"{tls} ({summary['eap_tls']}), sstpc MAC = HMAC(CMK(send16|recv16)); sstpd: user alice method EAP-TLS "
            f"{address}, binding SHA-256 verified with binding-key={LEGACY_BINDING_KEY}, IPCP up, ping 3/3, "
            f"packets in/out {'/'.join(summary['packets'])}; client SIGTERM, session closed, no warning; "
            f"reconnect got {second} again (lease released)")


def case_eap_tls_untrusted(run):
    """10b. A client certificate from a CA sstpd does not trust (made here with openssl; same CA name, CN alice,
    clientAuth): sstpd refuses it with an EAP Failure, logs why, leases nothing, counts it and keeps serving."""
    client_ca, _ = eap_tls_setup(run)
    daemon = eap_tls_daemon(run, "sstpd-eap-tls-untrusted", client_ca)
    guest = run_guest(run, eap_tls=make_untrusted_client(run), ping=False)
    log = guest.sstpc_log()
    expect(guest.marker("up") is None, "the link came up with an untrusted client certificate")
    expect(any("rcvd [EAP Failure" in l for l in log), "pppd received no EAP Failure: " + " | ".join(
        pppd_errors(log) or [l for l in log if "EAP" in l][-4:]))
    sessions = wait_closed(run, guest)
    expect(not any("address" in s or "user" in s for s in sessions), "sstpd authenticated/leased for the untrusted "
           f"certificate: {[s['messages'] for s in sessions]}")
    refused = [s["eap_refused"] for s in sessions if "eap_refused" in s]
    expect(refused, f"sstpd logged no EAP-TLS refusal: {[s['messages'] for s in sessions]}")
    expect("certificate verif" in refused[0], f"sstpd refused for another reason than the chain: {refused[0]}")
    # RFC 5216 §2.1.3: the server's TLS alert goes to the peer inside EAP-TLS before the EAP Failure.
    alert = pppd_value(log, r"<- Alert: (.*)$")
    expect(alert == "unknown CA", f"pppd saw TLS alert {alert!r} from sstpd, expected unknown CA")
    expect(daemon.alive(), "sstpd exited after refusing a certificate")
    run.stop_daemon()
    counters = [e["meta"] for e in daemon.entries() if e["message"].startswith("shutting down")]
    expect(counters and counters[-1].get("auth-failures") == "1", f"sstpd's auth-failures counter: "
           f"{counters[-1].get('auth-failures') if counters else 'no shutdown line'}, expected 1")
    return f"pppd: TLS alert {alert}, EAP Failure; sstpd: {refused[0][:90]}...; no lease, auth-failures=1"


CASES = [
    ("1-mschapv2-sha256", case_mschapv2_sha256),
    ("2-sha1-binding", case_sha1_only),
    ("3-wrong-password", case_wrong_password),
    ("4a-client-disconnect", case_client_disconnect),
    ("4b-server-disconnect", case_server_disconnect),
    ("4c-pppd-disconnect", case_pppd_disconnect),
    ("5-ipv6cp", case_ipv6cp),
    ("6-ten-then-three-guests", case_many_guests),
    ("7-transfer-20MiB", case_transfer),
    ("8-sstp-hello", case_sstp_hello),
    ("9-vnet-reachability", case_vnet_reachability),
    ("10a-eap-tls", case_eap_tls),
    ("10b-eap-tls-untrusted-ca", case_eap_tls_untrusted),
    ("10c-eap-tls-pppd-legacy-binding", case_eap_tls_legacy_binding),
]


def main():
    global verbose
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default=os.path.join(REPO, ".build", "debug"),
                        help="directory with sstpd and sstpctl (default: .build/debug)")
    parser.add_argument("--only", action="append",
                        help="run only cases whose name starts with this, a number as a whole: 1 is not 10a "
                             "(repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory with all logs")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--budget", type=float, default=540, help="seconds for the whole suite (watchdog)")
    args = parser.parse_args()
    verbose = args.verbose
    if os.geteuid() != 0:
        print("FAIL setup: the interop suite needs root (network namespaces, tap devices)")
        print("0 passed, 1 failed")
        return 1
    for tool in ("sstpd", "sstpctl"):
        if not os.access(os.path.join(args.bin_dir, tool), os.X_OK):
            print(f"FAIL setup: {args.bin_dir}/{tool} not found (build first)")
            print("0 passed, 1 failed")
            return 1

    run = Run(args.bin_dir, args.keep)
    done = threading.Event()

    def on_signal(signum, _frame):
        run.failed = True
        run.cleanup()
        print(f"interrupted by signal {signum}", flush=True)
        os._exit(130)

    def watchdog():
        if not done.wait(args.budget):
            print(f"FAIL watchdog: the suite exceeded {args.budget:.0f} s", flush=True)
            run.failed = True
            run.cleanup()
            os._exit(1)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    atexit.register(run.cleanup)
    threading.Thread(target=watchdog, daemon=True).start()

    passed = failed = 0
    suite_start = time.monotonic()
    try:
        run.setup()
    except Exception as error:  # noqa: BLE001 - report any setup failure as a failed case
        print(f"FAIL setup: {error}", flush=True)
        run.failed = True
        print("0 passed, 1 failed")
        return 1
    print(f"interop: sstpd from {args.bin_dir}, sstpc {package_version('sstp-client')}, "
          f"pppd {package_version('ppp')}, UML {package_version('user-mode-linux')}", flush=True)
    for name, case in CASES:
        if args.only and not any(selected(name, o) for o in args.only):
            continue
        t0 = time.monotonic()
        try:
            detail = case(run)
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t0:.1f} s): {detail}", flush=True)
        except CaseFailure as failure:
            failed += 1
            run.failed = True
            print(f"FAIL {name}: {failure} ({time.monotonic() - t0:.1f} s)", flush=True)
            print_excerpt(run)
        except Exception as error:  # noqa: BLE001
            failed += 1
            run.failed = True
            print(f"FAIL {name}: {type(error).__name__}: {error} ({time.monotonic() - t0:.1f} s)", flush=True)
            if verbose:
                traceback.print_exc()
            print_excerpt(run)
        finally:
            for guest in list(run.guests):
                run.release(guest)
    run.stop_daemon()
    done.set()
    print(f"interop suite took {time.monotonic() - suite_start:.1f} s", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


def selected(name, prefix):
    """`--only 1` selects 1-mschapv2-sha256 but not 10a-eap-tls; `--only 10` selects 10a-10c, `--only 4` 4a-4c."""
    if not name.startswith(prefix):
        return False
    rest = name[len(prefix):]
    return not (prefix[-1:].isdigit() and rest[:1].isdigit())


def print_excerpt(run):
    """After a failure: the last guest's markers and sstpc/pppd log, and the end of sstpd's log (CI keeps stdout)."""
    if run.guests:
        guest = run.guests[-1]
        lines = guest.reader.snapshot()
        print(f"    --- {guest.name} (markers, last sstpc/pppd lines)", flush=True)
        # pppd's and sstpc's own lines, not the packet dumps of --log-level 7 (EAP-TLS guests)
        pppd = [l for l in lines if l.startswith("sstpc: ") and "]:   " not in l and "PKT(" not in l]
        for line in [l for l in lines if l.startswith("@@")] + pppd[-12:]:
            print("    " + line[:200], flush=True)
    if run.daemon:
        print("    --- sstpd (last lines)", flush=True)
        for line in run.daemon.reader.snapshot()[-10:]:
            print("    " + line[:240], flush=True)
    print(f"    --- all logs: {run.work}", flush=True)


def package_version(name):
    result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    return result.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())

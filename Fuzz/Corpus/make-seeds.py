#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/Corpus/<harness>/ from the specification vectors the unit tests use.

Each seed names its source. The stateful harnesses (sstp-state, ppp-session, mschapv2, eap, eap-tls) read a small
program, not raw wire bytes (see the doc comment of each harness in Fuzz/Sources/FuzzHarnesses); the helpers below
write those programs around the same vectors. Run from anywhere: `python3 Fuzz/Corpus/make-seeds.py`. Files it
does not write are left alone (inputs added by hand or kept from a fuzzing run).
"""
import hashlib
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(ROOT))


def h(text):
    """Bytes from hex, ignoring spaces and newlines."""
    return bytes.fromhex("".join(text.split()))


def write(harness, name, data):
    directory = os.path.join(ROOT, harness)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def u16(value):
    return struct.pack(">H", value)


# MARK: sstp-http — Tests/SSTPProtocolTests/SSTPHTTPHandshakeTests.swift (MS-SSTP §4.1)

PATH = "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"
REQUEST = (
    f"SSTP_DUPLEX_POST {PATH} HTTP/1.1\r\n"
    "Host: vpn.example.com\r\n"
    "Content-Length: 18446744073709551615\r\n"
    "SSTPCORRELATIONID: {3F2504E0-4F89-11D3-9A0C-0305E82C3301}\r\n"
    "\r\n"
)
CALL_CONNECT_REQUEST = h("10 01 00 0E 00 01 00 01 00 01 00 06 00 01")
http = {
    "request-sstp-client": REQUEST,
    "request-lenient": "SSTP_DUPLEX_POST /sra_{ba195980-cd49-458b-9e23-c84ee0adcd75}/?tenantid=contoso HTTP/1.1\r\n"
    "host: vpn\r\nSstpCorrelationID: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\r\n\r\n",
    "request-bad-guid": f"SSTP_DUPLEX_POST {PATH} HTTP/1.1\r\nHost: vpn\r\nSSTPCORRELATIONID: {{not-a-guid}}\r\n\r\n",
    "request-get": "GET / HTTP/1.1\r\nHost: vpn\r\n\r\n",
    "request-brew": f"BREW {PATH} HTTP/1.1\r\nHost: vpn\r\n\r\n",
    "request-http10": f"SSTP_DUPLEX_POST {PATH} HTTP/1.0\r\nHost: vpn\r\n\r\n",
    "request-bare-lf": f"SSTP_DUPLEX_POST {PATH} HTTP/1.1\nHost: vpn\r\n\r\n",
    "request-folded": f"SSTP_DUPLEX_POST {PATH} HTTP/1.1\r\nHost: vpn\r\n  folded\r\n\r\n",
    "request-two-hosts": f"SSTP_DUPLEX_POST {PATH} HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n",
    "request-no-host": f"SSTP_DUPLEX_POST {PATH} HTTP/1.1\r\nSSTPCORRELATIONID: x\r\n\r\n",
    "response-200": "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\nServer: sstpd\r\n\r\n",
    "response-503": "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    "response-bad-length": "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
}
for name, text in http.items():
    write("sstp-http", name, text.encode())
# The request followed by the client's first SSTP packet in the same TLS record.
write("sstp-http", "request-then-packet", REQUEST.encode() + CALL_CONNECT_REQUEST)

# MARK: sstp-packet — Tests/SSTPProtocolTests/SSTPControlMessageTests.swift (MS-SSTP §4.7 and §2.2)

NONCE_SHA256 = h("412B489AEBD7ECC7D08966F26BE7CD72B231A0E9210D7C91B308862B0344C435")
NONCE_SHA1 = h("0F1A2D58D4A3E3000FAD3CE4906E07B707AA9E441CCEAC5CBD7B2CC1C9D86CDF")
sstp = {
    "call-connect-request": CALL_CONNECT_REQUEST,
    "call-connect-ack-sha256": h("10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 02") + NONCE_SHA256,
    "call-connect-ack-sha1": h("10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 01") + NONCE_SHA1,
    "call-connected-sha256": h("10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 02")
    + NONCE_SHA256
    + h("7993EF314C493DACE9F02D60E7E61C84B6690AAFE9D7AEEA92CBBE8AD599422D")
    + h("52A68EFD8CFFBF52770B8F0FE8EC73716583AF6D611EB6D179B3B20840985449"),
    "call-connected-sha1": h("10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 01")
    + NONCE_SHA1
    + h("5826B629BDA59B8E6FD8DCD2622FD34C534805A5 000000000000000000000000")
    + h("69915DD583D8062FEF16F61DB2F03290EC27CB6C 000000000000000000000000"),
    "call-connect-nak": h("10 01 00 16 00 03 00 01 00 02 00 0E 00 00 00 01 00 00 00 04 00 02"),
    "call-abort-timeout": h("10 01 00 14 00 05 00 01 00 02 00 0C 00 00 00 02 00 00 00 08"),
    "call-abort-bare": h("10 01 00 08 00 05 00 00"),
    "call-disconnect": h("10 01 00 14 00 06 00 01 00 02 00 0C 00 00 00 00 00 00 00 00"),
    "call-disconnect-ack": h("10 01 00 08 00 07 00 00"),
    "echo-request": h("10 01 00 08 00 08 00 00"),
    "echo-response": h("10 01 00 08 00 09 00 00"),
    "unknown-attribute": h("10 01 00 14 00 01 00 02 00 01 00 06 00 01 00 07 00 06 AB CD"),
    "data-lcp": h("10 00 00 0C FF 03 C0 21 01 01 00 04"),
}
for name, data in sstp.items():
    write("sstp-packet", name, data)
# A stream of several packets, as one TLS record carries them.
write(
    "sstp-packet",
    "stream",
    sstp["call-connect-request"] + sstp["data-lcp"] + sstp["echo-request"] + sstp["call-connected-sha256"],
)

# MARK: sstp-state — programs for SSTPStateHarness around the same vectors


def feed(data):
    """Operation 0: feed bytes to the parser (at most 255 per operation)."""
    out = b""
    while data:
        chunk, data = data[:255], data[255:]
        out += bytes([0, len(chunk)]) + chunk
    return out


HLAK = bytes(range(32))
INNER_AUTH = bytes([4]) + HLAK  # operation 4: inner authentication completed with this HLAK
VALID_CALL_CONNECTED_SHA256 = bytes([5])  # operation 5: a Call Connected bound to the HLAK (SHA-256)
VALID_CALL_CONNECTED_SHA1 = bytes([5 | 8])
TIMER = lambda index: bytes([3 | index << 3])  # noqa: E731 — operation 3: SSTPTimer.allCases[index]
server = bytes([0])  # server, SHA-1 and SHA-256 offered
write("sstp-state", "server-connect", server + feed(CALL_CONNECT_REQUEST) + INNER_AUTH + VALID_CALL_CONNECTED_SHA256)
write(
    "sstp-state",
    "server-connected-then-traffic",
    server
    + feed(CALL_CONNECT_REQUEST)
    + feed(sstp["data-lcp"])
    + INNER_AUTH
    + VALID_CALL_CONNECTED_SHA1
    + feed(h("10 00 00 08 FF 03 00 21") + sstp["echo-request"])
    + TIMER(1)
    + TIMER(1)
    + feed(sstp["call-disconnect"])
    + TIMER(5),
)
write("sstp-state", "server-binding-before-auth", server + feed(CALL_CONNECT_REQUEST) + VALID_CALL_CONNECTED_SHA256 + INNER_AUTH)
write("sstp-state", "server-spec-binding", server + feed(CALL_CONNECT_REQUEST) + feed(sstp["call-connected-sha256"]) + INNER_AUTH)
write("sstp-state", "server-nak", server + feed(sstp["unknown-attribute"]) + feed(h("10 01 00 0E 00 01 00 01 00 01 00 06 00 02")))
write("sstp-state", "server-abort-and-timers", server + feed(sstp["call-abort-timeout"]) + TIMER(2) + TIMER(3))
write("sstp-state", "server-negotiation-timeout", server + TIMER(0) + TIMER(2) + TIMER(3))
write("sstp-state", "server-admin-disconnect", server + feed(CALL_CONNECT_REQUEST) + bytes([6]) + feed(sstp["call-disconnect-ack"]))
client = bytes([1])
write(
    "sstp-state",
    "client-connect",
    client + feed(sstp["call-connect-ack-sha256"]) + INNER_AUTH + feed(sstp["echo-request"]) + TIMER(1),
)
write("sstp-state", "client-nak-retry", client + feed(sstp["call-connect-nak"]) + feed(sstp["call-connect-ack-sha1"]))
write("sstp-state", "client-disconnected-by-server", client + feed(sstp["call-connect-ack-sha1"]) + feed(sstp["call-disconnect"]))

# MARK: ppp-frame — Tests/PPPProtocolTests (ControlPacketTests, PPPFrameTests, PPPSessionTests, IPCPTests)

LCP = h("FF 03 C0 21")
IPCP = h("FF 03 80 21")
IPV6CP = h("FF 03 80 57")
PPPD_LCP_REQUEST = h("01 01 00 14 02 06 00 00 00 00 05 06 1A 2B 3C 4D 07 02 08 02")
frames = {
    "lcp-pppd-request": LCP + PPPD_LCP_REQUEST,
    "lcp-windows-request": LCP + h("01 01 00 15 01 04 05 78 05 06 33 33 33 33 07 02 08 02 0D 03 06"),
    "lcp-request-mru-auth": LCP + h("01 01 00 13 01 04 05 DC 03 05 C2 23 81 05 06 12 34 56 78"),
    "lcp-nak-auth-pap": LCP + h("03 05 00 08 03 04 C0 23"),
    "lcp-echo-request": LCP + h("09 07 00 0C 33 33 33 33 DE AD BE EF"),
    "lcp-echo-padding": h("C0 21 09 02 00 08 00 00 00 00 AA BB CC"),
    "lcp-identification": LCP + h("0C 04 00 10 33 33 33 33 4D 53 52 41 53 56 35 2E"),
    "lcp-terminate-request": LCP + h("05 09 00 04"),
    "ipcp-request-zero": IPCP + h("01 01 00 16 03 06 00 00 00 00 81 06 00 00 00 00 83 06 00 00 00 00"),
    "ipcp-request-assigned": IPCP + h("01 03 00 10 03 06 AC 10 00 02 81 06 0A 01 00 04"),
    "ipcp-vj-compression": IPCP + h("01 01 00 10 02 06 00 2D 0F 01 03 06 00 00 00 00"),
    "ipv6cp-request": IPV6CP + h("01 01 00 0E 01 0A 11 22 33 44 55 66 77 88"),
    "ipv4-compressed": h("21 45 00"),
    "ipv6-bare": h("57 60 00"),
    "ccp-request": h("FF 03 80 FD 01 01 00 04"),
}
for name, data in frames.items():
    write("ppp-frame", name, data)

# MARK: ppp-session — programs for PPPSessionHarness


def frame(data):
    """Operation 0: a frame from the far end."""
    return bytes([0]) + u16(len(data)) + data


def big_frame(length, prefix, filler=0):
    """Operation 3: a frame of `length` bytes, `prefix` then `filler`."""
    return bytes([3]) + u16(length) + bytes([filler, len(prefix)]) + prefix


AUTH_OK = bytes([5])
OUR_LCP_REQUEST = h("01 01 00 13 01 04 05 DC 03 05 C2 23 81 05 06 12 34 56 78")  # authenticator, MRU 1500
PEER_LCP_REQUEST = h("01 01 00 0E 05 06 AA BB CC DD 07 02 08 02")
lcp_up = frame(LCP + bytes([2]) + OUR_LCP_REQUEST[1:]) + frame(LCP + PEER_LCP_REQUEST)
ipcp_up = (
    frame(IPCP + h("02 01 00 0A 03 06 AC 10 00 01"))  # ack our IP-Address 172.16.0.1
    + frame(IPCP + h("01 01 00 10 03 06 00 00 00 00 81 06 00 00 00 00"))  # ask for an address and DNS
    + frame(IPCP + h("01 02 00 10 03 06 AC 10 00 02 81 06 0A 01 00 04"))  # take the Nak's values
)
authenticator = bytes([0])  # authenticator, MRU 1500, no IPV6CP, MS-CHAPv2
write("ppp-session", "authenticator-full", authenticator + lcp_up + AUTH_OK + ipcp_up + frame(h("21 45 00 00 14")))
write(
    "ppp-session",
    "authenticator-ipv6cp",
    bytes([8])
    + lcp_up
    + AUTH_OK
    + ipcp_up
    + frame(IPV6CP + h("02 01 00 0E 01 0A 02 11 22 FF FE 33 44 55"))
    + frame(IPV6CP + h("01 01 00 0E 01 0A 11 22 33 44 55 66 77 88"))
    + frame(h("FF 03 00 57 60 00 00 00")),
)
write(
    "ppp-session",
    "authenticator-echo-and-terminate",
    authenticator
    + lcp_up
    + frame(LCP + h("09 07 00 0C AA BB CC DD DE AD BE EF"))
    + bytes([6, 4]) + b"ping"
    + frame(LCP + h("05 09 00 04"))
    + bytes([4]),
)
write(
    "ppp-session",
    "authenticator-protocol-reject",
    authenticator + lcp_up + AUTH_OK + frame(h("FF 03 80 FD 01 01 00 04")) + frame(h("FF 03 80 57 01 01 00 04")),
)
# The peer asks for the largest MRU, then sends the largest frames: Code-Reject and Echo-Reply sizes. Written
# with the harness's frame-size invariant (docs/fuzzing.md, finding 1); blind fuzzing had not reached these sizes.
lcp_up_big_mru = frame(LCP + bytes([2]) + OUR_LCP_REQUEST[1:]) + frame(LCP + h("01 01 00 08 01 04 0F FB"))
write(
    "ppp-session",
    "authenticator-large-frames",
    authenticator
    + lcp_up_big_mru
    + big_frame(4091, LCP + h("20 01 0F F7"), 0x41)
    + big_frame(4091, h("FF 03 09 09"), 0x42)
    + big_frame(4091, LCP + h("09 02 0F F7 AA BB CC DD"), 0x43),
)
write("ppp-session", "authenticator-timeouts", authenticator + bytes([4] * 12))
peer = bytes([1 | 4])  # peer, no MRU requested
write(
    "ppp-session",
    "peer-full",
    peer
    + frame(LCP + OUR_LCP_REQUEST)
    + frame(LCP + h("02 01 00 0A 05 06 0B AD F0 0D"))
    + AUTH_OK
    + frame(IPCP + h("01 01 00 0A 03 06 AC 10 00 01"))
    + frame(IPCP + h("03 01 00 16 03 06 AC 10 00 02 81 06 0A 01 00 04 83 06 0A 01 00 05"))
    + frame(IPCP + h("02 02 00 16 03 06 AC 10 00 02 81 06 0A 01 00 04 83 06 0A 01 00 05")),
)
write("ppp-session", "peer-eap", bytes([1 | 16]) + frame(LCP + h("01 01 00 0E 03 04 C2 27 05 06 12 34 56 78")))

# MARK: mschapv2 — Tests/PPPAuthTests (MSCHAPv2PacketTests vectors, RFC 2759 §9.2)

RFC2759_CHALLENGE = h("5B5D7C7D7B3F2F3E3C2C602132262628")
CHALLENGE = h("01 2A 001A 10") + RFC2759_CHALLENGE + b"sstpd"
RESPONSE = h(
    "02 2A 003A 31 21402324255E262A28295F2B3A337C7E 0000000000000000"
    " 82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF 00 55736572"
)
SUCCESS = h("03 2A 003F") + b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Access granted"
FAILURE = h("04 2A 004C") + b"E=691 R=1 C=0123456789ABCDEF0123456789ABCDEF V=3 M=Authentication failed"


def packet(data):
    return bytes([0]) + u16(len(data)) + data


HONEST_RESPONSE, LOOKUP_RIGHT, LOOKUP_WRONG, LOOKUP_UNKNOWN = bytes([3]), bytes([4]), bytes([4 | 2 << 3]), bytes([4 | 3 << 3])
NEXT_CHALLENGE = bytes(range(0x40, 0x50))
auth = bytes([0]) + RFC2759_CHALLENGE + bytes([0x2A])
write("mschapv2", "authenticator-success", auth + HONEST_RESPONSE + LOOKUP_RIGHT + NEXT_CHALLENGE + HONEST_RESPONSE)
write(
    "mschapv2",
    "authenticator-retry",
    auth + HONEST_RESPONSE + LOOKUP_WRONG + NEXT_CHALLENGE + HONEST_RESPONSE + LOOKUP_RIGHT + NEXT_CHALLENGE,
)
write("mschapv2", "authenticator-rfc2759-response", auth + packet(RESPONSE) + LOOKUP_UNKNOWN + NEXT_CHALLENGE)
write("mschapv2", "authenticator-timeouts", auth + bytes([5] * 11))
write("mschapv2", "peer-rfc2759", bytes([1]) + packet(CHALLENGE) + packet(SUCCESS))
write("mschapv2", "peer-honest-success", bytes([1, 3, 0x2A]) + RFC2759_CHALLENGE + bytes([4 | 8]))
write("mschapv2", "peer-failure", bytes([1]) + packet(CHALLENGE) + packet(FAILURE))

# MARK: eap — Tests/EAPTests/EAPPacketTests.swift (RFC 3748 §4, §5)

eap_auth = bytes([0, 1])  # authenticator, first Identifier 1
POLICY_TLS = bytes([3])
METHOD_REQUEST = lambda data: bytes([4, len(data)]) + data  # noqa: E731
METHOD_SUCCEEDED = bytes([4 | 2 << 3])
HONEST = bytes([6 | 1 << 3, 2]) + h("80 00")
write(
    "eap",
    "authenticator-tls",
    eap_auth + HONEST + POLICY_TLS + METHOD_REQUEST(h("20")) + HONEST + METHOD_REQUEST(h("00")) + HONEST + METHOD_SUCCEEDED,
)
write(
    "eap",
    "authenticator-nak",
    eap_auth
    + packet(h("02 01 00 0A 01 61 6C 69 63 65"))
    + bytes([3 | 1 << 3])
    + METHOD_REQUEST(h("20"))
    + packet(h("02 02 00 06 03 1A")),
)
write("eap", "authenticator-timeouts", eap_auth + bytes([5] * 11))
eap_peer = bytes([1])
write(
    "eap",
    "peer-tls",
    eap_peer
    + packet(h("01 01 00 05 01"))
    + packet(h("01 02 00 06 0D 20"))
    + bytes([3, 1, 0])
    + packet(h("01 03 00 08 0D 00 16 03"))
    + bytes([4, 1, 0])
    + packet(h("03 03 00 04")),
)
write("eap", "peer-notification-nak", eap_peer + packet(h("01 09 00 07 02 68 69")) + packet(h("01 0A 00 06 04 10")))
write("eap", "peer-failure", eap_peer + packet(h("01 01 00 05 01")) + packet(h("04 FF 00 04")))

# MARK: eap-tls — Tests/EAPTests/EAPTLSFramingTests.swift (RFC 5216 §3.1)

eap_tls = {
    "start": bytes([1, 0, 0]) + packet(h("20")),
    "fragmented-1000": bytes([0, 0, 0])
    + packet(h("C0 00 00 03 E8 16 03") + bytes(498))
    + packet(h("40") + bytes(300))
    + packet(h("00") + bytes(200)),
    "ack-and-send": bytes([0, 2, 0]) + bytes([2]) + u16(40) + bytes([0x16, 2]) + b"\x16\x03" + packet(h("00")) + packet(h("00")),
    "loopback": bytes([0, 0, 0, 3]) + u16(3000) + bytes([0x16, 2]) + b"\x16\x03" + bytes([5]),
    "length-mismatch": bytes([0, 0, 2]) + packet(h("C0 00 00 00 10 01 02")) + packet(h("00 03 04")),
}
for name, data in eap_tls.items():
    write("eap-tls", name, data)

# MARK: dhcp — Tests/DHCPProtocolTests/WindowsInformVectors.swift (RFC 2131, 2132, 3442)

WINDOWS_INFORM = (
    h("01 01 06 00 3903f326 00000000 0a090002 00000000 00000000 00000000")
    + h("0200 4c4f 4f50 0000 0000 0000 0000 0000")
    + bytes(64 + 128)
    + h("6382 5363")
    + h("35 01 08")
    + h("3d 07 01 0200 4c4f 4f50")
    + h("0c 07 4445 534b 544f 50")
    + h("3c 08 4d53 4654 2035 2e30")
    + h("37 0c 01 0f 03 06 2c 2e 2f 1f 21 79 f9 2b")
    + h("ff")
    + bytes(14)
)
write("dhcp", "windows-inform", WINDOWS_INFORM)
write("dhcp", "windows-inform-option57", WINDOWS_INFORM.replace(h("ff") + bytes(14), h("39 02 05 DC ff") + bytes(10)))
ack_options = h("35 01 05 36 04 0a090001 06 08 0a010004 0a010005 0f 0c") + b"corp.example"
ack_options += h("79 0e 10 0a 01 0a090001 10 0a 02 0a090001") + h("f9 0e 10 0a 01 0a090001 10 0a 02 0a090001") + h("ff")
write("dhcp", "ack", h("02") + WINDOWS_INFORM[1:236] + h("6382 5363") + ack_options)
write("dhcp", "option121-data", h("10 0a 11 0a090001 19 0a e5 00 80 0a090001 00 0a090001"))

# MARK: toml, vnet-topology — docs/sstpd.example.toml, docs/vnet.example.toml, TOML v1.0.0 examples

for name in ["sstpd.example.toml", "vnet.example.toml"]:
    with open(os.path.join(REPO, "docs", name), "rb") as f:
        data = f.read()
    write("toml", name, data)
    if name == "vnet.example.toml":
        write("vnet-topology", name, data)
toml = {
    "strings": 'str = "I\'m a string. \\"You can quote me\\". Name\\tJos\\u00E9\\nLocation\\tSF."\n'
    "lit = 'C:\\Users\\nodejs\\templates'\n"
    'multi = """\nRoses are red\nViolets are blue"""\n'
    'lazy = """\\\n  The quick brown \\\n  fox."""\n'
    "regex = '''I [dw]on't need \\d{2} apples'''\n",
    "numbers": "int1 = +99\nint2 = -17\nint3 = 1_000\nhex = 0xDEAD_BEEF\noct = 0o755\nbin = 0b1101\n"
    "flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 6.626e-34\nsf1 = inf\nsf2 = -nan\n",
    "tables": '[a.b.c]\nx = 1\n[a]\ny = 2\n[[fruits]]\nname = "apple"\n[[fruits.varieties]]\nname = "red"\n'
    '[[fruits]]\nname = "banana"\n',
    "inline": 'name = { first = "Tom", last = "Preston-Werner" }\npoint = { x = 1, y = 2 }\n'
    'animal = { type.name = "pug" }\narr = [ [ 1, 2 ], ["a", "b"], [ { x = 1 } ] ]\n'
    "site.\"google.com\" = true\n",
    "errors": "a = 1\na = 2\n[t]\n[t]\nd = 1979-05-27\n",
}
for name, text in toml.items():
    write("toml", name, text.encode())

minimal = """[[vnet]]
name = "hub"
address_space = ["10.1.0.0/16"]
[[vnet.subnet]]
name = "GatewaySubnet"
prefix = "10.1.255.0/27"
[gateway]
vnet = "hub"
namespace = "gw"
address = "10.1.255.4"
[p2s]
pool = "172.16.0.0/24"
"""
write("vnet-topology", "minimal", minimal.encode())
with open(os.path.join(REPO, "docs", "vnet.example.toml")) as f:
    example = f.read()
write("vnet-topology", "no-transit", example.replace("allow_gateway_transit = true", "allow_gateway_transit = false").encode())
write("vnet-topology", "overlapping-pool", minimal.replace("172.16.0.0/24", "10.1.0.0/24").encode())
write("vnet-topology", "three-vnets", (example + """
[[vnet]]
name = "far"
address_space = ["10.3.0.0/16", "10.4.0.0/16"]
[[vnet.subnet]]
name = "s"
prefix = "10.3.0.0/30"
[[vnet.vm]]
name = "far1"
subnet = "s"
address = "10.3.0.2"
services = []
[[peering]]
name = "spoke-far"
vnets = ["spoke", "far"]
""").encode())

print("seeds written under", ROOT)

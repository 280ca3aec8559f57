#!/usr/bin/env bash
# The pure protocol cores must not reach into I/O, clocks, event loops or Foundation (docs/architecture.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cores=(Sources/SSTPProtocol Sources/PPPProtocol Sources/PPPAuth Sources/AddressPool Sources/IPPackets Sources/TOML Sources/GatewayPolicy Sources/DHCPProtocol Sources/VirtualNetwork Sources/EAP)
pattern='^(public |internal |@preconcurrency )?import (Foundation|FoundationEssentials|NIOPosix|NIOConcurrencyHelpers|Glibc|Dispatch|Logging|TLSEngine|TUNDevice)\b|\b(EventLoop|Channel|Date\(\)|DispatchQueue|arc4random|SystemRandomNumberGenerator)\b'
if grep -rnE "$pattern" "${cores[@]}"; then
    echo "check-layers: a pure core imports or uses an I/O, clock or randomness facility (lines above)" >&2
    exit 1
fi
echo "check-layers: pure cores are free of I/O, clocks and randomness"

#!/usr/bin/env bash
# The pure protocol cores must not reach into I/O, clocks, event loops or Foundation (docs/architecture.md); and no
# Synchronization.Mutex anywhere in Sources (ThreadSanitizer cannot see it; see the second check).
set -euo pipefail
cd "$(dirname "$0")/.."
cores=(Sources/SSTPProtocol Sources/PPPProtocol Sources/PPPAuth Sources/AddressPool Sources/IPPackets Sources/TOML Sources/GatewayPolicy Sources/DHCPProtocol Sources/VirtualNetwork Sources/EAP)
pattern='^(public |internal |@preconcurrency )?import (Foundation|FoundationEssentials|NIOPosix|NIOConcurrencyHelpers|Glibc|Dispatch|Logging|TLSEngine|TUNDevice)\b|\b(EventLoop|Channel|Date\(\)|DispatchQueue|arc4random|SystemRandomNumberGenerator)\b'
if grep -rnE "$pattern" "${cores[@]}"; then
    echo "check-layers: a pure core imports or uses an I/O, clock or randomness facility (lines above)" >&2
    exit 1
fi
echo "check-layers: pure cores are free of I/O, clocks and randomness"

# Locks are NIOLockedValueBox / NIOLock (a pthread mutex), never Synchronization.Mutex: on Linux Mutex is a futex that
# ThreadSanitizer cannot see, so every access it guards is reported as a race and real races drown in the noise
# (docs/fuzzing.md, "Sanitizers").
if grep -rnE '\bMutex(<|\()' Sources; then
    echo "check-layers: use NIOLockedValueBox instead of Synchronization.Mutex (lines above)" >&2
    exit 1
fi
echo "check-layers: no Synchronization.Mutex (ThreadSanitizer sees every lock)"

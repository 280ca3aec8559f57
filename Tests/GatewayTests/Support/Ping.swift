import AddressPool
import IPPackets
import NIOCore
import SSTPClient

/// Sends one echo request to the host behind the gateway through `tunnel` and waits (bounded) for the reply.
func ping(through tunnel: TunnelConnection, sequence: UInt16 = 1, to destination: IPv4Address = Fixtures.hostAddress)
    async -> Bool
{
    let replies = Mailbox<UInt16>()
    tunnel.onPackets { packets in
        for packet in packets {
            if let (_, echo) = try? ICMPEcho.parseIPv4(packet), echo.kind == .echoReply {
                replies.put(echo.sequenceNumber)
            }
        }
    }
    let request = ICMPEcho(kind: .echoRequest, identifier: 42, sequenceNumber: sequence, payload: ByteBuffer(bytes: [1, 2, 3]))
        .makeIPv4Packet(source: tunnel.info.address.value, destination: destination.value)
    tunnel.send([request])
    return await replies.next(within: 10) == sequence
}

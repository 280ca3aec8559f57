import DHCPProtocol
import NIOCore
import Testing

@Suite struct DHCPMessageTests {
    /// The DHCP message of the hand-written Windows DHCPINFORM (after its IPv4 and UDP headers).
    static var informMessage: ByteBuffer {
        WindowsInformVectors.inform.getSlice(at: WindowsInformVectors.dhcpOffset, length: 300)!
    }

    static var expectedInform: DHCPMessage {
        DHCPMessage(
            op: .bootRequest, htype: 1, hlen: 6, xid: WindowsInformVectors.xid,
            ciaddr: WindowsInformVectors.clientAddress,
            chaddr: WindowsInformVectors.chaddr,
            options: [
                .messageType(.inform),
                DHCPOption(code: .clientIdentifier, data: [1] + WindowsInformVectors.chaddr),
                DHCPOption(code: .hostName, data: Array("DESKTOP".utf8)),
                DHCPOption(code: .vendorClassIdentifier, data: Array("MSFT 5.0".utf8)),
                DHCPOption(code: .parameterRequestList, data: [1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43]),
            ])
    }

    @Test func parsesTheWindowsInform() throws {
        let message = try DHCPMessage(parsing: Self.informMessage)
        #expect(message == Self.expectedInform)
        #expect(message.messageType == .inform)
        #expect(message.parameterRequestList == DHCPInformClient.windowsParameterRequestList)
        #expect(message.serverIdentifier == nil)
        #expect(message.optionData(.vendorClassIdentifier) == Array("MSFT 5.0".utf8))
    }

    @Test func writesTheWindowsInformBytes() {
        var buffer = ByteBuffer()
        #expect(buffer.writeDHCPMessage(Self.expectedInform, minimumLength: 300) == 300)
        #expect(buffer == Self.informMessage)
        var unpadded = ByteBuffer()
        #expect(unpadded.writeDHCPMessage(Self.expectedInform) == 286)
        #expect(unpadded == Self.informMessage.getSlice(at: 0, length: 286))
    }

    @Test func parsesTheExpectedAckOptions() throws {
        let ack = try DHCPMessage(
            parsing: WindowsInformVectors.ack.getSlice(at: WindowsInformVectors.dhcpOffset, length: 322)!)
        #expect(ack.op == .bootReply)
        #expect(ack.messageType == .ack)
        #expect(ack.serverIdentifier == WindowsInformVectors.gatewayAddress)
        #expect(try ack.addresses(.domainNameServer) == [0x0A01_0004, 0x0A01_0005])
        #expect(try ack.domainName() == "corp.example")
        let routes = try #require(try ack.classlessStaticRoutes())
        #expect(routes.map(\.destination.description) == ["10.1.0.0/16", "10.2.0.0/16", "192.168.100.0/24"])
        #expect(routes.allSatisfy { $0.router == WindowsInformVectors.gatewayAddress })
        #expect(try ack.classlessStaticRoutes(.microsoftClasslessStaticRoute) == routes)
        #expect(ack.optionData(.ipAddressLeaseTime) == nil)
    }

    @Test func respectsTheReaderIndexAndSkipsPadAndTrailingBytes() throws {
        var buffer = ByteBuffer(hex: "ffff")
        buffer.moveReaderIndex(forwardBy: 2)
        var message = Self.expectedInform
        message.options = [.messageType(.inform)]
        buffer.writeDHCPMessage(message)
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)  // drop End, then: Pad Pad End garbage
        buffer.writeBytes([0, 0, 255, 1, 99])
        let parsed = try DHCPMessage(parsing: buffer)
        #expect(parsed == message)
        #expect(buffer.readerIndex == 2)
    }

    @Test func concatenatesSplitOptionsAndSplitsLongOnes() throws {
        let long = DHCPOption(code: .vendorSpecificInformation, data: (0..<300).map { UInt8(truncatingIfNeeded: $0) })
        var message = Self.expectedInform
        message.options = [.messageType(.ack), long]
        var buffer = ByteBuffer()
        buffer.writeDHCPMessage(message)
        // RFC 3396 §5: 255 octets in the first instance, the other 45 in the next.
        #expect(buffer.getBytes(at: 243, length: 2) == [43, 255])
        #expect(buffer.getBytes(at: 243 + 257, length: 2) == [43, 45])
        let parsed = try DHCPMessage(parsing: buffer)
        #expect(parsed.optionData(.vendorSpecificInformation) == long.data)
        #expect(parsed.options.count == 3)
    }

    @Test func rejectsMalformedMessages() {
        func code(_ buffer: ByteBuffer) -> DHCPError.Code? {
            do {
                _ = try DHCPMessage(parsing: buffer)
                return nil
            } catch {
                return error.code
            }
        }
        let valid = Self.informMessage
        #expect(code(valid) == nil)
        #expect(code(valid.getSlice(at: 0, length: 239)!) == .truncatedMessage)
        #expect(code(ByteBuffer()) == .truncatedMessage)
        var huge = valid
        huge.writeRepeatingByte(0, count: DHCPMessage.maximumLength)
        #expect(code(huge) == .messageTooLong)
        var badOp = valid
        badOp.setInteger(UInt8(3), at: 0)
        #expect(code(badOp) == .badOperation)
        var badHlen = valid
        badHlen.setInteger(UInt8(17), at: 2)
        #expect(code(badHlen) == .badHardwareAddressLength)
        var badCookie = valid
        badCookie.setInteger(UInt32(0x6382_5364), at: 236)
        #expect(code(badCookie) == .badMagicCookie)
        // Host Name claims 0x40 octets: it runs over End and the padding, past the message.
        var overrun = valid
        overrun.setInteger(UInt8(0x40), at: 253)
        #expect(code(overrun) == .optionOverrun)
        // The message ends right after an option code, before its length octet.
        #expect(code(valid.getSlice(at: 0, length: 241)!) == .optionOverrun)
        // No End: the options stop after the Parameter Request List.
        #expect(code(valid.getSlice(at: 0, length: 285)!) == .missingEndOption)
        var overload = valid
        overload.setBytes([52, 1, 3], at: 240)  // Option Overload instead of the message type
        #expect(code(overload) == .optionOverloadUnsupported)
    }

    @Test func rejectsMalformedOptionValues() throws {
        var message = Self.expectedInform
        message.options = [
            DHCPOption(code: .domainNameServer, data: [10, 1, 0]),
            DHCPOption(code: .domainName, data: [0x63, 0x20, 0x64]),
            DHCPOption(code: .dhcpMessageType, data: [8, 8]),
        ]
        #expect(throws: DHCPError.self) { try message.addresses(.domainNameServer) }
        #expect(throws: DHCPError.self) { try message.domainName() }
        #expect(message.messageType == nil)
        message.options = [DHCPOption(code: .domainName, data: Array("corp.example".utf8) + [0])]
        #expect(try message.domainName() == "corp.example")
    }
}

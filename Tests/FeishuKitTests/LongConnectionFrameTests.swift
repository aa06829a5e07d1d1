import Foundation
import SwiftProtobuf
import Testing
@testable import FeishuEmulator
@testable import FeishuKit

/// The long connection's frames against the bytes lark-oapi 1.7.5 produces (`feishu-longconn.md` §8), for FeishuKit's
/// swift-protobuf codec and the emulator's hand-written one.
struct LongConnectionFrameTests {
    static let ping7 = "08001000180720002a0c0a0474797065120470696e67"
    static let pingRealService = "0800100018f681801020002a0c0a0474797065120470696e67"
    static let data = "08011002180720012a0d0a047479706512056576656e742a100a0a6d6573736167655f696412026d312a080a0373756d1201312a080a037365711201302a0e0a0874726163655f696412027431424b7b22736368656d61223a22322e30222c22686561646572223a7b226576656e745f74797065223a22696d2e6d6573736167652e726563656976655f7631227d2c226576656e74223a7b7d7d"
    static let ack = "08011002180720012a0d0a047479706512056576656e742a100a0a6d6573736167655f696412026d312a080a0373756d1201312a080a037365711201302a0e0a0874726163655f6964120274312a0b0a0662697a5f7274120133420d7b22636f6465223a203230307d"

    @Test func pingsAreTheSDKsBytes() throws {
        for (service, hex) in [(Int32(7), Self.ping7), (Int32(33_554_678), Self.pingRealService)] {
            var ping = Pbbp2Frame()
            ping.service = service
            ping.headers = [Pbbp2Header("type", "ping")]
            let bytes: [UInt8] = try ping.serializedBytes()
            #expect(Self.hex(bytes) == hex)
            var wire = WireFrame()
            wire.service = service
            wire.headers = [("type", "ping")]
            #expect(Self.hex(wire.encoded) == hex, "the emulator's codec agrees")
        }
    }

    @Test func aDataFrameDecodesAndItsAckEchoesIt() throws {
        let frame = try Pbbp2Frame(serializedBytes: Self.bytes(Self.data))
        #expect(frame.seqID == 1 && frame.logID == 2 && frame.service == 7 && frame.method == 1)
        #expect(frame.headers.map(\.key) == ["type", "message_id", "sum", "seq", "trace_id"])
        #expect(frame.header("message_id") == "m1")
        #expect(String(decoding: frame.payload ?? Data(), as: UTF8.self) == #"{"schema":"2.0","header":{"event_type":"im.message.receive_v1"},"event":{}}"#)
        let emulatorFrame = try WireFrame(decoding: Self.bytes(Self.data))
        #expect(Self.hex(emulatorFrame.encoded) == Self.data, "the emulator re-encodes it byte for byte")

        // The ack: the frame with biz_rt appended and the payload replaced; only the payload's spacing differs from Python's.
        let ack = FeishuLongConnection.ack(frame, reply: .handled(nil), elapsed: .milliseconds(3))
        let sdkAck = try Pbbp2Frame(serializedBytes: Self.bytes(Self.ack))
        #expect(ack.headers == sdkAck.headers && ack.seqID == sdkAck.seqID && ack.logID == sdkAck.logID && ack.method == 1)
        #expect(String(decoding: ack.payload ?? Data(), as: UTF8.self) == #"{"code":200}"#)
        let failed = FeishuLongConnection.ack(frame, reply: .failed, elapsed: .milliseconds(3))
        #expect(failed.header("biz_rt") == nil && String(decoding: failed.payload ?? Data(), as: UTF8.self) == #"{"code":500}"#)
        let answered = FeishuLongConnection.ack(frame, reply: .handled(Data(#"{"toast":{"type":"success","content":"ok"}}"#.utf8)), elapsed: .zero)
        let body = try JSONSerialization.jsonObject(with: answered.payload ?? Data()) as? [String: Any]
        #expect((body?["data"] as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
            == #"{"toast":{"type":"success","content":"ok"}}"#)
        // The emulator reads the SDK's ack.
        let read = try WireFrame(decoding: Self.bytes(Self.ack))
        #expect(read.header("biz_rt") == "3" && read.header("message_id") == "m1")
    }

    @Test func fragmentsAreReassembledInAnyOrderAndTruncatedBytesAreRefused() throws {
        let frames = LongConnectionHub.frames(Data("0123456789abcdefghij".utf8), messageID: "m9", fragmentBytes: 7)
        #expect(frames.count == 3 && frames.allSatisfy { $0.header("sum") == "3" })
        var assembler = FrameAssembler()
        let decoded = try frames.map { try Pbbp2Frame(serializedBytes: $0.encoded) }
        #expect(assembler.add(decoded[2], messageID: "m9") == nil)
        #expect(assembler.add(decoded[0], messageID: "m9") == nil)
        #expect(assembler.add(decoded[1], messageID: "m9") == Data("0123456789abcdefghij".utf8))
        var outOfRange = decoded[0]
        outOfRange.headers = outOfRange.headers.map { $0.key == "seq" ? Pbbp2Header("seq", "5") : $0 }
        #expect(assembler.add(outOfRange, messageID: "m10") == nil)
        #expect(throws: (any Error).self) { try WireFrame(decoding: Array(Self.bytes(Self.data).dropLast(10))) }
        #expect(throws: (any Error).self) { try Pbbp2Frame(serializedBytes: Array(Self.bytes(Self.data).dropLast(10))) }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }
}

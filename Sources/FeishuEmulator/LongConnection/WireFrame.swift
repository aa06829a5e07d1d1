import Foundation

/// A `pbbp2.Frame` of the long connection (`feishu-longconn.md` §4), encoded and decoded by hand: the emulator writes
/// the platform's wire format itself and shares no model with the client.
struct WireFrame: Sendable, Equatable {
    var seqID: UInt64 = 0
    var logID: UInt64 = 0
    var service: Int32 = 0
    /// 0 = control, 1 = data.
    var method: Int32 = 0
    var headers: [(key: String, value: String)] = []
    var payload: Data?

    static func == (lhs: WireFrame, rhs: WireFrame) -> Bool {
        lhs.seqID == rhs.seqID && lhs.logID == rhs.logID && lhs.service == rhs.service && lhs.method == rhs.method
            && lhs.headers.map(\.key) == rhs.headers.map(\.key) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
            && lhs.payload == rhs.payload
    }

    func header(_ key: String) -> String? { headers.first { $0.key == key }?.value }

    // MARK: encoding

    /// Fields 1–4 always (even 0), then the headers, then the payload when there is one.
    var encoded: [UInt8] {
        var out: [UInt8] = []
        Self.varint(1 << 3, into: &out); Self.varint(seqID, into: &out)
        Self.varint(2 << 3, into: &out); Self.varint(logID, into: &out)
        Self.varint(3 << 3, into: &out); Self.varint(UInt64(bitPattern: Int64(service)), into: &out)
        Self.varint(4 << 3, into: &out); Self.varint(UInt64(bitPattern: Int64(method)), into: &out)
        for header in headers {
            var inner: [UInt8] = []
            Self.bytes(1, Array(header.key.utf8), into: &inner)
            Self.bytes(2, Array(header.value.utf8), into: &inner)
            Self.bytes(5, inner, into: &out)
        }
        if let payload { Self.bytes(8, Array(payload), into: &out) }
        return out
    }

    private static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    private static func bytes(_ field: UInt64, _ value: [UInt8], into out: inout [UInt8]) {
        varint(field << 3 | 2, into: &out)
        varint(UInt64(value.count), into: &out)
        out += value
    }

    // MARK: decoding

    struct Malformed: Error {}

    /// Decodes a frame; unknown fields are skipped. Throws on truncated or malformed bytes.
    init(decoding bytes: [UInt8]) throws {
        var reader = Reader(bytes: bytes[...])
        while !reader.isAtEnd {
            let key = try reader.varint()
            switch (key >> 3, key & 7) {
            case (1, 0): seqID = try reader.varint()
            case (2, 0): logID = try reader.varint()
            case (3, 0): service = Int32(truncatingIfNeeded: try reader.varint())
            case (4, 0): method = Int32(truncatingIfNeeded: try reader.varint())
            case (5, 2):
                var inner = Reader(bytes: try reader.lengthDelimited())
                var key = "", value = ""
                while !inner.isAtEnd {
                    let tag = try inner.varint()
                    switch (tag >> 3, tag & 7) {
                    case (1, 2): key = String(decoding: try inner.lengthDelimited(), as: UTF8.self)
                    case (2, 2): value = String(decoding: try inner.lengthDelimited(), as: UTF8.self)
                    default: try inner.skip(wireType: tag & 7)
                    }
                }
                headers.append((key, value))
            case (8, 2): payload = Data(try reader.lengthDelimited())
            default: try reader.skip(wireType: key & 7)
            }
        }
    }

    init() {}

    private struct Reader {
        var bytes: ArraySlice<UInt8>
        var isAtEnd: Bool { bytes.isEmpty }

        mutating func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = bytes.popFirst() {
                guard shift < 64 else { throw Malformed() }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            throw Malformed()
        }

        mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
            let length = try varint()
            guard length <= UInt64(bytes.count) else { throw Malformed() }
            let value = bytes.prefix(Int(length))
            bytes = bytes.dropFirst(Int(length))
            return value
        }

        mutating func skip(wireType: UInt64) throws {
            switch wireType {
            case 0: _ = try varint()
            case 1: guard bytes.count >= 8 else { throw Malformed() }; bytes = bytes.dropFirst(8)
            case 2: _ = try lengthDelimited()
            case 5: guard bytes.count >= 4 else { throw Malformed() }; bytes = bytes.dropFirst(4)
            default: throw Malformed()
            }
        }
    }
}

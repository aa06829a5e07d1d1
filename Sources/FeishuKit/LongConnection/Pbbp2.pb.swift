// The frames of Feishu's long connection, `pbbp2.proto` (proto2), written in the shape swift-protobuf's generator gives
// (`feishu-longconn.md` §4):
//
//     syntax = "proto2"; package pbbp2;
//     message Header { required string key = 1; required string value = 2; }
//     message Frame {
//       required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3; required int32 method = 4;
//       repeated Header headers = 5;
//       optional string payload_encoding = 6; optional string payload_type = 7; optional bytes payload = 8;
//       optional string LogIDNew = 9;
//     }
//
// Binary only (no JSON or text names). Fields 1–4 are always written, even when 0 (every SDK does; Node's decoder needs them). Unknown fields are kept, so
// an ack that echoes a frame loses nothing.

import Foundation
import SwiftProtobuf

struct Pbbp2Header: Sendable, Equatable {
    var key: String
    var value: String
    var unknownFields = SwiftProtobuf.UnknownStorage()

    init() {
        key = ""
        value = ""
    }

    init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

struct Pbbp2Frame: Sendable, Equatable {
    var seqID: UInt64 = 0
    var logID: UInt64 = 0
    var service: Int32 = 0
    /// 0 = control (ping, pong), 1 = data (events, callbacks, acks).
    var method: Int32 = 0
    var headers: [Pbbp2Header] = []
    var payloadEncoding: String?
    var payloadType: String?
    var payload: Data?
    var logIDNew: String?
    var unknownFields = SwiftProtobuf.UnknownStorage()

    init() {}

    /// The value of the first header named `key`.
    func header(_ key: String) -> String? { headers.first { $0.key == key }?.value }
}

extension Pbbp2Header: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase {
    static let protoMessageName = "pbbp2.Header"

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularStringField(value: &key)
            case 2: try decoder.decodeSingularStringField(value: &value)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        try visitor.visitSingularStringField(value: key, fieldNumber: 1)
        try visitor.visitSingularStringField(value: value, fieldNumber: 2)
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: Pbbp2Header, rhs: Pbbp2Header) -> Bool {
        lhs.key == rhs.key && lhs.value == rhs.value && lhs.unknownFields == rhs.unknownFields
    }
}

extension Pbbp2Frame: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase {
    static let protoMessageName = "pbbp2.Frame"

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularUInt64Field(value: &seqID)
            case 2: try decoder.decodeSingularUInt64Field(value: &logID)
            case 3: try decoder.decodeSingularInt32Field(value: &service)
            case 4: try decoder.decodeSingularInt32Field(value: &method)
            case 5: try decoder.decodeRepeatedMessageField(value: &headers)
            case 6: try decoder.decodeSingularStringField(value: &payloadEncoding)
            case 7: try decoder.decodeSingularStringField(value: &payloadType)
            case 8: try decoder.decodeSingularBytesField(value: &payload)
            case 9: try decoder.decodeSingularStringField(value: &logIDNew)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        // Required in proto2: written even when 0.
        try visitor.visitSingularUInt64Field(value: seqID, fieldNumber: 1)
        try visitor.visitSingularUInt64Field(value: logID, fieldNumber: 2)
        try visitor.visitSingularInt32Field(value: service, fieldNumber: 3)
        try visitor.visitSingularInt32Field(value: method, fieldNumber: 4)
        if !headers.isEmpty { try visitor.visitRepeatedMessageField(value: headers, fieldNumber: 5) }
        if let payloadEncoding { try visitor.visitSingularStringField(value: payloadEncoding, fieldNumber: 6) }
        if let payloadType { try visitor.visitSingularStringField(value: payloadType, fieldNumber: 7) }
        if let payload { try visitor.visitSingularBytesField(value: payload, fieldNumber: 8) }
        if let logIDNew { try visitor.visitSingularStringField(value: logIDNew, fieldNumber: 9) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: Pbbp2Frame, rhs: Pbbp2Frame) -> Bool {
        lhs.seqID == rhs.seqID && lhs.logID == rhs.logID && lhs.service == rhs.service && lhs.method == rhs.method
            && lhs.headers == rhs.headers && lhs.payloadEncoding == rhs.payloadEncoding && lhs.payloadType == rhs.payloadType
            && lhs.payload == rhs.payload && lhs.logIDNew == rhs.logIDNew && lhs.unknownFields == rhs.unknownFields
    }
}

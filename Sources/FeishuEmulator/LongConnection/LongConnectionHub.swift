import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// The platform's end of the long connection (`feishu-longconn.md` §9): `POST /callback/ws/endpoint` hands out a URL with
/// a one-time ticket, the WebSocket at `/ws/v2` serves it, pings are answered with pongs carrying the config, and
/// events and card callbacks are pushed as data frames (split by ``Settings/fragmentBytes``) to one random connection of
/// the app, whose ack (matched by `message_id`) is the delivery's result.
public actor LongConnectionHub {
    public struct Settings: Sendable, Equatable {
        public var pingInterval = 120
        public var reconnectInterval = 120
        public var reconnectNonce = 30
        public var reconnectCount = -1
        /// Payloads larger than this are split into fragments.
        public var fragmentBytes = 256 * 1024
        /// Refuse handshakes: `403`, or `514` (the connection limit); nil accepts.
        public var refuse: Int?
        public init() {}

        var configJSON: JSON {
            ["PingInterval": .int(pingInterval), "ReconnectCount": .int(reconnectCount), "ReconnectInterval": .int(reconnectInterval),
             "ReconnectNonce": .int(reconnectNonce)]
        }
    }

    private struct Connection {
        var appID: String
        var deviceID: String
        var outbound: WebSocketOutboundWriter
        var connectedAt: Date
        var pings = 0
        var acks = 0
    }

    /// An ack: its `code` and the callback's answer (`data`, base64-decoded).
    struct Ack: Sendable {
        var code: Int
        var data: Data?
    }

    static let maxConnectionsPerApp = 50
    var settings = Settings()
    /// The WebSocket's port (0 until it listens).
    private var port = 0
    private var tickets: [String: (appID: String, deviceID: String)] = [:]
    private var connections: [Int: Connection] = [:]
    private var waiting: [String: CheckedContinuation<Ack?, Never>] = [:]
    private var nextID = 1
    private var random = SystemRandomNumberGenerator()
    /// How many connections each app has, readable without waiting for the actor.
    private nonisolated let counts = Mutex([String: Int]())

    public init() {}

    nonisolated func isConnected(_ appID: String) -> Bool { counts.withLock { ($0[appID] ?? 0) > 0 } }

    // MARK: endpoint and handshake

    func listening(port: Int) { self.port = port }

    /// The endpoint's answer for an app whose credentials were checked: a URL on the host of `authority` (the WebSocket's
    /// port) and the config; code 1 ("system busy", retried by the SDK) while the WebSocket is not listening yet.
    func issue(appID: String, authority: String) -> JSON {
        guard port > 0 else { return ["code": 1, "msg": "system busy"] }
        let host = authority.hasPrefix("[") ? String(authority.prefix { $0 != "]" }) + "]"
            : String(authority.split(separator: ":").first ?? "127.0.0.1")
        let ticket = UUID().uuidString.lowercased()
        let deviceID = String(UInt64.random(in: 1_000_000_000...9_999_999_999, using: &random))
        tickets[ticket] = (appID, deviceID)
        let url = "ws://\(host):\(port)/ws/v2?fpid=493&aid=552564&device_id=\(deviceID)&access_key=emulator&service_id=33554678&ticket=\(ticket)"
        return ["code": 0, "msg": "ok", "data": ["URL": .string(url), "ClientConfig": settings.configJSON]]
    }

    /// Takes a ticket (once): the app and device it was issued for, or why the handshake is refused.
    func admit(ticket: String?) -> Result<(appID: String, deviceID: String), HandshakeRefusal> {
        if let status = settings.refuse {
            return .failure(HandshakeRefusal(status: status, message: status == 514 ? "exceed conn limit" : "forbidden",
                                             authErrorCode: status == 514 ? 1_000_040_350 : nil))
        }
        guard let ticket, let issued = tickets.removeValue(forKey: ticket) else {
            return .failure(HandshakeRefusal(status: 403, message: "invalid ticket", authErrorCode: nil))
        }
        guard counts.withLock({ $0[issued.appID] ?? 0 }) < Self.maxConnectionsPerApp else {
            return .failure(HandshakeRefusal(status: 514, message: "exceed conn limit", authErrorCode: 1_000_040_350))
        }
        return .success(issued)
    }

    // MARK: a connection

    /// Serves one connection until it closes: pongs for pings, acks matched to their pushes.
    nonisolated func serve(appID: String, deviceID: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let id = await register(appID: appID, deviceID: deviceID, outbound: outbound)
        do {
            for try await message in inbound.messages(maxSize: 1 << 22) {
                guard case .binary(let buffer) = message, let frame = try? WireFrame(decoding: Array(buffer.readableBytesView)) else { continue }
                if frame.method == 0, frame.header("type") == "ping" {
                    var pong = WireFrame()
                    pong.service = frame.service
                    pong.headers = [("type", "pong")]
                    pong.payload = Data(await settings.configJSON.serialized.utf8)
                    await pinged(id)
                    try await outbound.writeBinaryMessage(ByteBuffer(bytes: pong.encoded))
                } else if frame.method == 1, let messageID = frame.header("message_id") {
                    let body = frame.payload.flatMap { JSON.parse($0) }
                    let data = body?["data"]?.stringValue.flatMap { Data(base64Encoded: $0) }
                    await acked(id, messageID: messageID, Ack(code: body?["code"]?.intValue ?? 0, data: data))
                }
            }
        } catch {}
        await unregister(id)
    }

    private func register(appID: String, deviceID: String, outbound: WebSocketOutboundWriter) -> Int {
        let id = nextID
        nextID += 1
        connections[id] = Connection(appID: appID, deviceID: deviceID, outbound: outbound, connectedAt: Date())
        counts.withLock { $0[appID, default: 0] += 1 }
        return id
    }

    private func unregister(_ id: Int) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        counts.withLock { $0[connection.appID, default: 1] -= 1 }
    }

    private func pinged(_ id: Int) { connections[id]?.pings += 1 }

    private func acked(_ id: Int, messageID: String, _ ack: Ack) {
        connections[id]?.acks += 1
        waiting.removeValue(forKey: messageID)?.resume(returning: ack)
    }

    // MARK: pushes

    /// Pushes `envelope` to one random connection of the app and waits for its ack up to `deadline`: nil when no
    /// connection is open, no ack came, or the write failed.
    func push(appID: String, envelope: Data, deadline: Duration) async -> Ack? {
        let open = connections.filter { $0.value.appID == appID }.map(\.key)
        guard let id = open.randomElement(using: &random), let connection = connections[id] else { return nil }
        let messageID = "msg_" + UUID().uuidString.lowercased()
        let frames = Self.frames(envelope, messageID: messageID, fragmentBytes: max(settings.fragmentBytes, 1))
        return await withCheckedContinuation { continuation in
            waiting[messageID] = continuation
            Task {
                do {
                    for frame in frames { try await connection.outbound.writeBinaryMessage(ByteBuffer(bytes: frame.encoded)) }
                } catch {
                    self.expire(messageID)
                }
            }
            Task {
                try? await Task.sleep(for: deadline)
                self.expire(messageID)
            }
        }
    }

    private func expire(_ messageID: String) {
        waiting.removeValue(forKey: messageID)?.resume(returning: nil)
    }

    /// Data frames of one message: the five headers on each, the payload split by `sum`/`seq`.
    static func frames(_ payload: Data, messageID: String, fragmentBytes: Int) -> [WireFrame] {
        let chunks = stride(from: 0, to: max(payload.count, 1), by: fragmentBytes).map { payload.subdata(in: $0..<min($0 + fragmentBytes, payload.count)) }
        let traceID = UUID().uuidString.lowercased()
        return chunks.enumerated().map { index, chunk in
            var frame = WireFrame()
            frame.seqID = UInt64(index + 1)
            frame.logID = UInt64.random(in: 1...UInt64(Int64.max))
            frame.service = 33_554_678
            frame.method = 1
            frame.headers = [("type", "event"), ("message_id", messageID), ("sum", String(chunks.count)), ("seq", String(index)),
                             ("trace_id", traceID), ("timestamp", String(Int64(Date().timeIntervalSince1970 * 1000)))]
            frame.payload = chunk
            return frame
        }
    }

    // MARK: the operator's side

    /// Closes every connection of the app (a server-side close: the client must come back); answers how many.
    func close(appID: String?) async -> Int {
        let chosen = connections.filter { appID == nil || $0.value.appID == appID }
        for connection in chosen.values { try? await connection.outbound.close(.goingAway, reason: "closed by the emulator") }
        return chosen.count
    }

    var json: JSON {
        ["settings": ["ping_interval": .int(settings.pingInterval), "reconnect_interval": .int(settings.reconnectInterval),
                      "reconnect_nonce": .int(settings.reconnectNonce), "reconnect_count": .int(settings.reconnectCount),
                      "fragment_bytes": .int(settings.fragmentBytes), "refuse": settings.refuse.map { .int($0) } ?? .null],
         "connections": .array(connections.keys.sorted().compactMap { id in
             connections[id].map { c in
                 ["id": .int(id), "app_id": .string(c.appID), "device_id": .string(c.deviceID), "pings": .int(c.pings), "acks": .int(c.acks),
                  "connected_at": .string(ISO8601DateFormatter().string(from: c.connectedAt))]
             }
         })]
    }

    func apply(_ fields: [String: JSON]) -> AdminRefusal? {
        var updated = settings
        for (field, path) in [("ping_interval", \Settings.pingInterval), ("reconnect_interval", \Settings.reconnectInterval),
                              ("reconnect_nonce", \Settings.reconnectNonce), ("fragment_bytes", \Settings.fragmentBytes)] {
            guard let value = fields[field] else { continue }
            guard let number = value.intValue, number >= (field == "reconnect_nonce" ? 0 : 1), number <= 86_400 * 1024 else {
                return AdminRefusal(field: field, message: "a positive number")
            }
            updated[keyPath: path] = number
        }
        if let value = fields["reconnect_count"] {
            guard let number = value.intValue, number >= -1 else { return AdminRefusal(field: "reconnect_count", message: "-1 (forever) or more") }
            updated.reconnectCount = number
        }
        if let value = fields["refuse"] {
            guard value.isNull || [403, 514].contains(value.intValue ?? 0) else { return AdminRefusal(field: "refuse", message: "403, 514 or null") }
            updated.refuse = value.intValue
        }
        settings = updated
        return nil
    }
}

/// A refused handshake (`feishu-longconn.md` §3): the status and the `Handshake-*` headers.
struct HandshakeRefusal: Error, Sendable {
    var status: Int
    var message: String
    var authErrorCode: Int?

    var headers: [(String, String)] {
        var headers = [("Handshake-Status", String(status)), ("Handshake-Msg", message)]
        if let authErrorCode { headers.append(("Handshake-Autherrcode", String(authErrorCode))) }
        return headers
    }
}

extension EmulatorState {
    /// `POST /callback/ws/endpoint {"AppID", "AppSecret"}` (any Content-Type): a fresh URL for the app, or a code that
    /// the SDK takes as final (`feishu-longconn.md` §2).
    func longConnectionEndpoint(body: Data, authority: String) async -> EmulatorResponse {
        admin.counters.calls["callback.ws.endpoint", default: 0] += 1
        let json = JSON.parse(body)
        guard let appID = json?["AppID"]?.stringValue, let secret = json?["AppSecret"]?.stringValue,
              let app = admin.apps[appID], app.config.appSecret == secret
        else {
            admin.counters.errors["callback.ws.endpoint", default: 0] += 1
            return EmulatorResponse(status: 200, body: .json(["code": 10003, "msg": "invalid app_id or app_secret"]))
        }
        return EmulatorResponse(status: 200, body: .json(await longConnections.issue(appID: appID, authority: authority)))
    }

    /// The answer to a handshake that was not upgraded.
    func refusedHandshake(ticket: String?) async -> EmulatorResponse {
        let refusal: HandshakeRefusal
        switch await longConnections.admit(ticket: ticket) {
        case .failure(let reason): refusal = reason
        case .success: refusal = HandshakeRefusal(status: 403, message: "not a WebSocket handshake", authErrorCode: nil)
        }
        return EmulatorResponse(status: refusal.status == 514 ? 514 : 403, body: .text(refusal.message), headers: refusal.headers)
    }
}

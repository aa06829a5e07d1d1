import Foundation
import Logging
import NIOCore
import SwiftProtobuf
import Synchronization
import WSClient

/// Feishu's long connection for one app (`feishu-longconn.md`): events and card callbacks over a WebSocket the bridge
/// opens, so no public address is needed.
///
/// - **Discovery**: `POST /callback/ws/endpoint` gives a fresh URL (with a one-time ticket) and the ``LongConnectionEndpoint/Config``.
/// - **Frames**: one protobuf ``Pbbp2Frame`` per binary message. The client pings at once and every `PingInterval`; a
///   pong may carry a new config, applied at once. Data frames are reassembled (``FrameAssembler``), handed to the
///   handler, and acked by echoing the frame with `biz_rt` and `{"code":200[,"data":base64]}` (500 when the handler
///   failed). Writes are serialized; each message is handled in its own task, so a slow handler delays no ping.
/// - **Liveness**: nothing received for 2 × `PingInterval` + 10 s closes the connection.
/// - **Reconnect**: after a close, a pause of `random(0..<ReconnectNonce)`, then discovery and connect again, with
///   `ReconnectInterval` between failed attempts. Refusals that retrying cannot fix (a wrong secret, the connection
///   limit) are reported in ``status`` and tried again slowly, never given up.
public final class FeishuLongConnection: Sendable {
    public enum Reply: Sendable, Equatable {
        /// Handled; `data` is a callback's answer (toast, card) as JSON.
        case handled(Data?)
        case failed
    }

    public typealias Handler = @Sendable (_ envelope: Data) async -> Reply

    public struct Status: Sendable, Equatable, Codable {
        public enum State: String, Sendable, Codable { case connecting, connected, waiting, stopped }
        public var state: State = .connecting
        public var connectedAt: Date?
        public var lastFrameAt: Date?
        /// Connections made after the first.
        public var reconnects = 0
        public var lastError: String?
        public var deviceID: String?
        public var messages = 0
    }

    let client: FeishuClient
    let handler: Handler
    let logger: Logger
    /// Pause after a refusal retrying cannot fix.
    let slowRetry: Duration
    private let statusBox = Mutex(Status())

    public init(client: FeishuClient, logger: Logger, slowRetry: Duration = .seconds(300), handler: @escaping Handler) {
        self.client = client
        self.logger = logger
        self.slowRetry = slowRetry
        self.handler = handler
    }

    public var status: Status { statusBox.withLock { $0 } }

    private func update(_ change: (inout Status) -> Void) { statusBox.withLock { change(&$0) } }

    /// Connects and stays connected until the task is cancelled.
    public func run() async {
        var config = LongConnectionEndpoint.Config()
        var connectedBefore = false
        while !Task.isCancelled {
            update { $0.state = .connecting }
            do {
                let endpoint = try await client.longConnectionEndpoint()
                config = endpoint.config
                if connectedBefore { update { $0.reconnects += 1 } }
                try await serve(endpoint)
                connectedBefore = true
                update { $0.state = .waiting; $0.lastError = nil }
                logger.info("long connection closed; reconnecting", metadata: ["feishu.app_id": "\(client.credentials.appID)"])
                try await Task.sleep(for: .seconds(Double.random(in: 0..<Double(max(config.reconnectNonce, 0)) + 0.001)))
            } catch is CancellationError {
                break
            } catch {
                let permanent = (error as? LongConnectionEndpointError).map { !$0.retryable } ?? false
                update { $0.state = .waiting; $0.lastError = "\(error)" }
                logger.warning("long connection failed", metadata: ["feishu.app_id": "\(client.credentials.appID)", "error": "\(error)"])
                let pause = permanent ? slowRetry : .seconds(max(config.reconnectInterval, 1))
                do { try await Task.sleep(for: pause) } catch { break }
            }
        }
        update { $0.state = .stopped }
    }

    /// One connection, until it closes (or goes silent).
    private func serve(_ endpoint: LongConnectionEndpoint) async throws {
        let live = LiveConnection(config: endpoint.config)
        let appID = client.credentials.appID
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
        configuration.autoPing = .disabled
        logger.info("long connection opening", metadata: ["feishu.app_id": "\(appID)", "url": "\(endpoint.redactedURL)"])
        try await WebSocketClient.connect(url: endpoint.url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            let writer = FrameWriter(outbound: outbound)
            self.update { $0.state = .connected; $0.connectedAt = Date(); $0.deviceID = endpoint.deviceID; $0.lastError = nil }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while true {
                        var ping = Pbbp2Frame()
                        ping.service = endpoint.serviceID
                        ping.headers = [Pbbp2Header("type", "ping")]
                        try await writer.send(ping)
                        let interval = Duration.seconds(live.config.withLock { $0.pingInterval })
                        try await Task.sleep(for: interval)
                        guard ContinuousClock.now - live.lastFrame.withLock({ $0 }) < interval * 2 + .seconds(10) else {
                            throw LongConnectionSilent()
                        }
                    }
                }
                var assembler = FrameAssembler()
                for try await message in inbound.messages(maxSize: 1 << 22) {
                    guard case .binary(let buffer) = message, let frame = try? Pbbp2Frame(serializedBytes: Array(buffer.readableBytesView)) else {
                        self.logger.debug("long connection: not a frame", metadata: ["feishu.app_id": "\(appID)"])
                        continue
                    }
                    live.lastFrame.withLock { $0 = .now }
                    self.update { $0.lastFrameAt = Date() }
                    if frame.method == 0 {
                        if frame.header("type") == "pong", let payload = frame.payload, !payload.isEmpty {
                            live.config.withLock { $0 = $0.merging(payload) }
                        }
                        continue
                    }
                    guard let type = frame.header("type"), let messageID = frame.header("message_id"), frame.header("sum") != nil,
                          frame.header("seq") != nil, frame.header("trace_id") != nil
                    else {
                        self.logger.warning("long connection: a data frame without its headers", metadata: ["feishu.app_id": "\(appID)"])
                        continue
                    }
                    guard let payload = assembler.add(frame, messageID: messageID) else { continue }
                    guard type == "event" else {
                        self.logger.info("long connection: frame type not used", metadata: ["feishu.app_id": "\(appID)", "type": "\(type)"])
                        continue
                    }
                    group.addTask {
                        let started = ContinuousClock.now
                        let reply = await self.handler(payload)
                        self.update { $0.messages += 1 }
                        try await writer.send(Self.ack(frame, reply: reply, elapsed: ContinuousClock.now - started))
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// The frame echoed with `biz_rt` and the handler's result (`feishu-longconn.md` §6).
    static func ack(_ frame: Pbbp2Frame, reply: Reply, elapsed: Duration) -> Pbbp2Frame {
        var ack = frame
        let body: String
        switch reply {
        case .handled(let data?):
            ack.headers.append(Pbbp2Header("biz_rt", String(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)))
            body = #"{"code":200,"data":""# + data.base64EncodedString() + #""}"#
        case .handled(nil):
            ack.headers.append(Pbbp2Header("biz_rt", String(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)))
            body = #"{"code":200}"#
        case .failed:
            body = #"{"code":500}"#
        }
        ack.payload = Data(body.utf8)
        return ack
    }
}

/// Nothing arrived for too long: the connection is given up and made again.
struct LongConnectionSilent: Error, CustomStringConvertible {
    var description: String { "no frame from the server for 2 × PingInterval + 10 s" }
}

/// What the tasks of one connection share: the config (a pong may change it) and when the last frame came.
private final class LiveConnection: Sendable {
    let config: Mutex<LongConnectionEndpoint.Config>
    let lastFrame = Mutex(ContinuousClock.now)

    init(config: LongConnectionEndpoint.Config) { self.config = Mutex(config) }
}

/// One writer per connection: pings and acks never interleave.
private actor FrameWriter {
    let outbound: WebSocketOutboundWriter

    init(outbound: WebSocketOutboundWriter) { self.outbound = outbound }

    func send(_ frame: Pbbp2Frame) async throws {
        let bytes: [UInt8] = try frame.serializedBytes()
        try await outbound.writeBinaryMessage(ByteBuffer(bytes: bytes))
    }
}

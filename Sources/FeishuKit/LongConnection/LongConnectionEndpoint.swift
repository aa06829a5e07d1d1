import Foundation
import NIOHTTP1

/// The answer of `POST /callback/ws/endpoint` (`feishu-longconn.md` §2): a fresh WebSocket URL and the client settings.
public struct LongConnectionEndpoint: Sendable, Equatable {
    /// The `ClientConfig`, in seconds (`-1` reconnect attempts = forever).
    public struct Config: Sendable, Equatable, Codable {
        public var reconnectCount: Int
        public var reconnectInterval: Int
        public var reconnectNonce: Int
        public var pingInterval: Int

        public init(reconnectCount: Int = -1, reconnectInterval: Int = 120, reconnectNonce: Int = 30, pingInterval: Int = 120) {
            self.reconnectCount = reconnectCount
            self.reconnectInterval = reconnectInterval
            self.reconnectNonce = reconnectNonce
            self.pingInterval = pingInterval
        }

        enum CodingKeys: String, CodingKey {
            case reconnectCount = "ReconnectCount", reconnectInterval = "ReconnectInterval", reconnectNonce = "ReconnectNonce"
            case pingInterval = "PingInterval"
        }

        /// A config where each key present replaces this one's (a pong may carry some).
        func merging(_ data: Data) -> Config {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return self }
            var merged = self
            if let value = object["ReconnectCount"] as? Int { merged.reconnectCount = value }
            if let value = object["ReconnectInterval"] as? Int, value >= 0 { merged.reconnectInterval = value }
            if let value = object["ReconnectNonce"] as? Int, value >= 0 { merged.reconnectNonce = value }
            if let value = object["PingInterval"] as? Int, value > 0 { merged.pingInterval = value }
            return merged
        }
    }

    public var url: String
    public var config: Config
    /// `service_id` of the URL: copied into every ping.
    public var serviceID: Int32
    /// `device_id` of the URL: the connection's id in logs.
    public var deviceID: String

    /// The URL without its credentials (`ticket`, `access_key`), for logs.
    public var redactedURL: String {
        guard var components = URLComponents(string: url) else { return "(url)" }
        components.queryItems = components.queryItems?.filter { ["device_id", "service_id"].contains($0.name) }
        return components.string ?? "(url)"
    }
}

/// Why the endpoint gave no URL.
public struct LongConnectionEndpointError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String
    /// The platform says try again (`code` 1 or 1000040343, HTTP errors); otherwise the app's settings are wrong.
    public var retryable: Bool

    public var description: String { "long connection endpoint: \(code) \(message)" }
}

extension FeishuClient {
    /// `POST {domain}/callback/ws/endpoint {"AppID", "AppSecret"}` (no `/open-apis`, no token).
    public func longConnectionEndpoint() async throws -> LongConnectionEndpoint {
        struct Answer: Decodable {
            struct Payload: Decodable {
                var URL: String?
                var ClientConfig: LongConnectionEndpoint.Config?
            }

            var code: Int
            var msg: String?
            var data: Payload?
        }
        let body = try JSONEncoder().encode(["AppID": credentials.appID, "AppSecret": credentials.appSecret])
        let (status, _, bytes) = try await send(FeishuRequest(.POST, "/callback/ws/endpoint", body: body), token: nil)
        guard status == 200 else { throw LongConnectionEndpointError(code: status, message: "HTTP \(status)", retryable: true) }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: bytes) else {
            throw LongConnectionEndpointError(code: -1, message: "not a JSON answer", retryable: true)
        }
        guard answer.code == 0 else {
            throw LongConnectionEndpointError(code: answer.code, message: answer.msg ?? "", retryable: [1, 1_000_040_343].contains(answer.code))
        }
        guard let url = answer.data?.URL, let components = URLComponents(string: url),
              let service = components.queryItems?.first(where: { $0.name == "service_id" })?.value.flatMap({ Int32($0) }),
              let device = components.queryItems?.first(where: { $0.name == "device_id" })?.value
        else { throw LongConnectionEndpointError(code: -1, message: "the answer has no usable URL", retryable: true) }
        return LongConnectionEndpoint(url: url, config: answer.data?.ClientConfig ?? .init(), serviceID: service, deviceID: device)
    }
}

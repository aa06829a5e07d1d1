import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// The OA's quick-approval webhook (`oaTodoAction` under `webhooks` in `/openapi.json`): the bridge tells the OA module
/// that a Feishu user pressed approve or reject on a todo card.
///
/// `POST {actionURL}` with the JSON body ``Payload`` and
/// - `X-Yunqiao-Timestamp`: Unix seconds of this attempt;
/// - `X-Yunqiao-Signature`: lowercase hex HMAC-SHA256(action secret, timestamp + "." + raw body).
///
/// Every attempt of one action sends the same body (same `actionId`), so the OA can act once per `actionId`. 2xx = done;
/// 4xx = the OA refuses (already handled, not allowed…): final; anything else (no answer within the deadline, 5xx) may
/// be retried.
public struct OAActionWebhook: Sendable {
    public let httpClient: HTTPClient
    public var timeout: Duration
    /// Answers are read up to this size (only a short reason is kept).
    public var maxResponseBytes = 64 * 1024

    public init(httpClient: HTTPClient, timeout: Duration) {
        self.httpClient = httpClient
        self.timeout = timeout
    }

    /// The JSON the OA receives.
    public struct Payload: Codable, Sendable, Equatable {
        public struct Operator: Codable, Sendable, Equatable {
            public var oaUserID: String
            public var unionID: String
            public var name: String

            public init(oaUserID: String, unionID: String, name: String) {
                self.oaUserID = oaUserID
                self.unionID = unionID
                self.name = name
            }
        }

        public var actionId: String
        public var source: String
        public var todoId: String
        /// `approve` or `reject`.
        public var action: String
        public var `operator`: Operator
        /// When the user clicked, ISO 8601 UTC.
        public var at: String

        public init(actionId: String, source: String, todoId: String, action: String, operator: Operator, at: String) {
            self.actionId = actionId
            self.source = source
            self.todoId = todoId
            self.action = action
            self.operator = `operator`
            self.at = at
        }
    }

    /// What an attempt came to.
    public enum Outcome: Sendable, Equatable {
        /// 2xx.
        case accepted(status: UInt)
        /// 4xx: the OA will not do it; `reason` is the answer's `message` (or `error.message`) when it has one.
        case refused(status: UInt, reason: String?)
        /// No answer, a deadline passed, or 5xx (or another status): worth another attempt.
        case failed(String)
    }

    public static let timestampHeader = "X-Yunqiao-Timestamp"
    public static let signatureHeader = "X-Yunqiao-Signature"

    /// The body: compact JSON with sorted keys, the same bytes for the same payload.
    public static func body(_ payload: Payload) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(payload)
    }

    /// Lowercase hex HMAC-SHA256(secret, timestamp + "." + body).
    public static func signature(secret: String, timestamp: String, body: Data) -> String {
        var message = Data((timestamp + ".").utf8)
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }

    /// One attempt.
    public func send(url: String, secret: String, body: Data, now: Date = Date()) async -> Outcome {
        let timestamp = String(Int64(now.timeIntervalSince1970))
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "yunqiao-quick-approval")
        request.headers.add(name: Self.timestampHeader, value: timestamp)
        request.headers.add(name: Self.signatureHeader, value: Self.signature(secret: secret, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let host = URL(string: url)?.host ?? url
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timeout.wholeNanoseconds)))
            let buffer = (try? await response.body.collect(upTo: maxResponseBytes)) ?? ByteBuffer()
            let status = response.status.code
            switch status {
            case 200..<300: return .accepted(status: status)
            case 400..<500: return .refused(status: status, reason: Self.reason(Data(buffer.readableBytesView)))
            default: return .failed("the OA answered HTTP \(status)")
            }
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            return .failed("no answer from \(host) within \(timeout.shortText)")
        } catch is CancellationError {
            return .failed("cancelled")
        } catch {
            return .failed("cannot reach \(host): \(error)")
        }
    }

    /// The OA's reason for a refusal: `message` or `error.message` of a JSON answer, at most 200 characters.
    public static func reason(_ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        let text = (object["message"] as? String) ?? ((object["error"] as? [String: Any])?["message"] as? String)
            ?? (object["error"] as? String)
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return String(text.prefix(200))
    }
}

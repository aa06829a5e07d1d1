import Crypto
import Foundation
import YunqiaoCore
import _CryptoExtras

/// Checks and opens what Feishu pushes to the app's request URLs (`feishu-api.md` §6): events and card callbacks.
///
/// A pure value: give it the request's headers and raw body, it answers what arrived or why it must be refused.
///
/// - With an Encrypt Key: bodies are `{"encrypt": …}` (AES-256-CBC, key SHA-256 of the Encrypt Key, §6.3) and every
///   request but the URL challenge carries `X-Lark-Request-Timestamp`, `X-Lark-Request-Nonce`, `X-Lark-Signature` =
///   hex SHA-256(timestamp + nonce + Encrypt Key + raw body) (§6.4). The signature is checked before anything is
///   decrypted, in constant time; the timestamp must be within ``maxClockSkew`` of `now` (the doc states no window).
/// - Without one: plaintext bodies, no signature; the Verification Token in the body (`header.token`, or `token` of v1
///   events and the challenge, §6.5) is what authenticates — compared in constant time. With an Encrypt Key the
///   token is checked as well.
/// - The old card callback (§6.9) is signed with hex SHA-1(timestamp + nonce + Verification Token + raw body), with
///   or without an Encrypt Key; its `token` field is the delayed-update token, not the Verification Token.
///
/// Replays inside the window are the caller's to stop: dedupe events by `eventID` and card actions by what they act on.
public struct FeishuCallbackVerifier: Sendable {
    public var verificationToken: String
    public var encryptKey: String?
    /// How far `X-Lark-Request-Timestamp` may be from `now`; `nil` does not check it.
    public var maxClockSkew: Duration?

    public init(verificationToken: String, encryptKey: String? = nil, maxClockSkew: Duration? = .seconds(300)) {
        self.verificationToken = verificationToken
        self.encryptKey = encryptKey.flatMap { $0.isEmpty ? nil : $0 }
        self.maxClockSkew = maxClockSkew
    }

    /// Which signature scheme a request's headers satisfied.
    private enum Signed {
        case none, events, oldCard
    }

    /// Verifies and decodes one request. `headers` are looked up case-insensitively.
    public func verify(headers: [String: String], body: Data, now: Date = Date()) throws(FeishuCallbackError) -> FeishuCallback {
        var lowercased: [String: String] = [:]
        for (name, value) in headers { lowercased[name.lowercased()] = value }

        // Signature first, over the raw body, before anything is parsed or decrypted.
        var signed = Signed.none
        let timestamp = lowercased["x-lark-request-timestamp"]
        let nonce = lowercased["x-lark-request-nonce"]
        let signature = lowercased["x-lark-signature"]
        let hasSignature = timestamp != nil && nonce != nil && signature != nil
        if let timestamp, let nonce, let signature {
            if let key = encryptKey,
               Self.constantTimeEqual(signature.lowercased(), FeishuCallbackCrypto.signature(timestamp: timestamp, nonce: nonce,
                                                                                            secret: key, body: body))
            {
                signed = .events
            } else if Self.constantTimeEqual(signature.lowercased(), FeishuCallbackCrypto.cardV1Signature(
                timestamp: timestamp, nonce: nonce, verificationToken: verificationToken, body: body))
            {
                signed = .oldCard
            } else if encryptKey != nil {
                throw .badSignature
            }
            // Without an Encrypt Key events carry no defined signature: an unknown one is judged by the payload below.
        }
        if signed != .none, let timestamp {
            if let maxClockSkew {
                guard let seconds = Double(timestamp.trimmingCharacters(in: .whitespaces)) else { throw .badTimestamp(timestamp) }
                let skew = abs(now.timeIntervalSince1970 - seconds)
                guard skew <= Double(maxClockSkew.components.seconds) else { throw .badTimestamp(timestamp) }
            }
        }
        // Unsigned bodies are parsed too (the URL challenge, token-only events): never deeper than JSONNesting allows.
        guard let outer = CallbackJSON.parse(body), case .object = outer else { throw .malformedBody("the body is not a JSON object") }

        // Decrypt.
        let plainBytes: Data
        if let encrypted = outer["encrypt"] {
            guard let key = encryptKey else { throw .encryptKeyMissing }
            guard let text = encrypted.string else { throw .malformedBody("encrypt is not a string") }
            do { plainBytes = try FeishuCallbackCrypto.decrypt(text, encryptKey: key) } catch { throw .decryptionFailed }
        } else {
            plainBytes = body
        }
        guard let plain = CallbackJSON.parse(plainBytes), case .object = plain else {
            throw .malformedBody("the decrypted payload is not a JSON object")
        }

        // The URL challenge: token only (Feishu sends it before any signature setup, §6.2).
        if plain["type"]?.string == "url_verification" {
            guard let token = plain["token"]?.string, Self.constantTimeEqual(token, verificationToken) else { throw .badToken }
            guard let challenge = plain["challenge"]?.text else { throw .malformedBody("url_verification without challenge") }
            return .urlVerification(challenge: challenge)
        }

        // The old card callback: SHA-1 with the Verification Token, always.
        if plain["schema"] == nil, plain["open_message_id"] != nil, plain["action"] != nil {
            guard signed == .oldCard else { throw hasSignature ? .badSignature : .missingSignature }
            return .cardAction(try FeishuCardAction(oldProtocol: plain))
        }

        // Events (v2 and v1) and card.action.trigger: signed with the Encrypt Key when there is one, and the token.
        if encryptKey != nil {
            guard signed == .events else { throw hasSignature ? .badSignature : .missingSignature }
        }
        let token = plain["schema"] != nil ? plain["header"]?["token"]?.string : plain["token"]?.string
        guard let token, Self.constantTimeEqual(token, verificationToken) else { throw .badToken }
        return try Self.envelope(plain, bytes: plainBytes)
    }

    /// A verified (or trusted) plaintext envelope: a card action (`card.action.trigger`) or another event, v2 or v1.
    static func envelope(_ plain: CallbackJSON, bytes plainBytes: Data) throws(FeishuCallbackError) -> FeishuCallback {
        if plain["schema"] != nil {
            guard let header = plain["header"], let type = header["event_type"]?.string else {
                throw .malformedBody("a 2.0 envelope without header.event_type")
            }
            if type == "card.action.trigger" { return .cardAction(try FeishuCardAction(v2: plain)) }
            return .event(FeishuEvent(schema: "2.0", type: type, eventID: header["event_id"]?.string, appID: header["app_id"]?.string,
                                      tenantKey: header["tenant_key"]?.string, createTime: header["create_time"]?.text.flatMap { Int64($0) },
                                      payload: plainBytes))
        }
        guard let type = plain["event"]?["type"]?.string else { throw .malformedBody("neither a 2.0 envelope nor a v1 event") }
        return .event(FeishuEvent(schema: "1.0", type: type, eventID: plain["uuid"]?.string, appID: plain["event"]?["app_id"]?.string,
                                  tenantKey: plain["event"]?["tenant_key"]?.string, createTime: nil, payload: plainBytes))
    }

    /// A push over the long connection (`feishu-longconn.md` §1, §6): plaintext, unsigned, its token not checked — the
    /// connection itself was opened with the app's credentials. Nested at most ``JSONNesting/maxDepth`` deep.
    public static func longConnectionPush(_ envelope: Data) throws(FeishuCallbackError) -> FeishuCallback {
        guard let plain = CallbackJSON.parse(envelope), case .object = plain else { throw .malformedBody("the payload is not a JSON object") }
        return try Self.envelope(plain, bytes: envelope)
    }

    /// Equal strings in time that depends on their length only.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// Why a pushed request was refused. Answer it with a 4xx/5xx and do nothing else.
public enum FeishuCallbackError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedBody(String)
    /// The body is encrypted but no Encrypt Key is configured.
    case encryptKeyMissing
    case decryptionFailed
    /// A signature was required (an Encrypt Key is set, or the old card protocol) and the headers have none.
    case missingSignature
    case badSignature
    /// `X-Lark-Request-Timestamp` is not a number or too far from now.
    case badTimestamp(String)
    /// The Verification Token does not match.
    case badToken
    case malformedCardAction(String)

    public var description: String {
        switch self {
        case .malformedBody(let detail): "malformed callback body: \(detail)"
        case .encryptKeyMissing: "the body is encrypted and no Encrypt Key is configured"
        case .decryptionFailed: "the body cannot be decrypted with the Encrypt Key"
        case .missingSignature: "the X-Lark-Request-* signature headers are missing"
        case .badSignature: "signature verification failed"
        case .badTimestamp(let value): "X-Lark-Request-Timestamp \(value) is outside the allowed clock skew"
        case .badToken: "invalid verification token"
        case .malformedCardAction(let detail): "malformed card action: \(detail)"
        }
    }
}

/// What arrived.
public enum FeishuCallback: Sendable, Equatable {
    /// Answer HTTP 200 with ``FeishuCallback/challengeAnswer(_:)`` within 1 s.
    case urlVerification(challenge: String)
    /// A card button (or other interactive component) was used: answer within 3 s (``FeishuCardCallbackAnswer``).
    case cardAction(FeishuCardAction)
    /// Any other event: answer 200 at once, dedupe by `eventID` (delivery is at least once).
    case event(FeishuEvent)

    /// `{"challenge": "…"}`.
    public static func challengeAnswer(_ challenge: String) -> Data {
        CallbackJSON.object(["challenge": .string(challenge)]).data
    }
}

/// An event other than a card action, with its decrypted payload for the caller to decode.
public struct FeishuEvent: Sendable, Equatable {
    /// `2.0` or `1.0`.
    public var schema: String
    public var type: String
    /// `header.event_id` (2.0) or `uuid` (1.0): the dedupe key.
    public var eventID: String?
    public var appID: String?
    public var tenantKey: String?
    /// Milliseconds (2.0 `header.create_time`).
    public var createTime: Int64?
    /// The plaintext JSON of the whole envelope.
    public var payload: Data
}

/// AES-256-CBC and the signatures of `feishu-api.md` §6.3, §6.4, §6.9.
enum FeishuCallbackCrypto {
    struct DecryptionError: Error {}

    static func decrypt(_ encrypted: String, encryptKey: String) throws -> Data {
        guard let payload = Data(base64Encoded: encrypted), payload.count >= 32, payload.count % 16 == 0 else {
            throw DecryptionError()
        }
        let key = SymmetricKey(data: SHA256.hash(data: Data(encryptKey.utf8)))
        return try AES._CBC.decrypt(payload.dropFirst(16), using: key, iv: try AES._CBC.IV(ivBytes: payload.prefix(16)))
    }

    /// hex SHA-256(timestamp + nonce + secret + body).
    static func signature(timestamp: String, nonce: String, secret: String, body: Data) -> String {
        hex(SHA256.hash(data: Data((timestamp + nonce + secret).utf8) + body))
    }

    /// hex SHA-1(timestamp + nonce + verification token + body), the old card callback.
    static func cardV1Signature(timestamp: String, nonce: String, verificationToken: String, body: Data) -> String {
        hex(Insecure.SHA1.hash(data: Data((timestamp + nonce + verificationToken).utf8) + body))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

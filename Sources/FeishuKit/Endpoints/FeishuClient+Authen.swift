import Foundation
import YunqiaoCore
import NIOHTTP1

/// A user access token from the OAuth code exchange (`feishu-api.md` §2.4).
public struct FeishuUserAccessToken: Sendable, Equatable, Decodable {
    public var accessToken: String
    /// Seconds.
    public var expiresIn: Int
    /// Only when the user granted `offline_access`.
    public var refreshToken: String?
    public var refreshTokenExpiresIn: Int?
    public var tokenType: String
    /// Space-separated scopes granted.
    public var scope: String

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        guard let token = c.lenientString(AnyKey("access_token")), !token.isEmpty else {
            throw DecodingError.keyNotFound(AnyKey("access_token"), .init(codingPath: c.codingPath, debugDescription: "no access_token"))
        }
        accessToken = token
        expiresIn = c.lenientInt(AnyKey("expires_in")) ?? 0
        refreshToken = c.lenientString(AnyKey("refresh_token")).flatMap { $0.isEmpty ? nil : $0 }
        refreshTokenExpiresIn = c.lenientInt(AnyKey("refresh_token_expires_in"))
        tokenType = c.lenientString(AnyKey("token_type")) ?? "Bearer"
        scope = c.lenientString(AnyKey("scope")) ?? ""
    }
}

/// The signed-in user as `GET /open-apis/authen/v1/user_info` shows them (§2.5). `user_id`, `mobile`, `email` and
/// `employee_no` are present only when the app has the field scopes.
public struct FeishuUserInfo: Sendable, Equatable, Decodable {
    public var openID: String
    public var unionID: String
    public var userID: String?
    public var name: String
    public var enName: String?
    public var mobile: String?
    public var email: String?
    public var employeeNo: String?
    public var tenantKey: String?

    public init(openID: String, unionID: String, userID: String? = nil, name: String, enName: String? = nil, mobile: String? = nil,
                email: String? = nil, employeeNo: String? = nil, tenantKey: String? = nil)
    {
        self.openID = openID
        self.unionID = unionID
        self.userID = userID
        self.name = name
        self.enName = enName
        self.mobile = mobile
        self.email = email
        self.employeeNo = employeeNo
        self.tenantKey = tenantKey
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        func text(_ key: String) -> String? { c.lenientString(AnyKey(key)).flatMap { $0.isEmpty ? nil : $0 } }
        guard let unionID = text("union_id"), let openID = text("open_id") else {
            throw DecodingError.keyNotFound(AnyKey("union_id"),
                                            .init(codingPath: c.codingPath, debugDescription: "user_info without open_id and union_id"))
        }
        self.openID = openID
        self.unionID = unionID
        userID = text("user_id")
        name = text("name") ?? ""
        enName = text("en_name")
        mobile = text("mobile")
        email = text("email")
        employeeNo = text("employee_no")
        tenantKey = text("tenant_key")
    }
}

/// A refused OAuth token request: HTTP 400/500/503 with `{"code": 2xxxx, "error": …, "error_description": …}` (§2.4).
public struct FeishuOAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var error: String
    public var errorDescription: String
    public var httpStatus: Int

    public init(code: Int, error: String, errorDescription: String, httpStatus: Int) {
        self.code = code
        self.error = error
        self.errorDescription = errorDescription
        self.httpStatus = httpStatus
    }

    public var description: String { "Feishu OAuth error \(code) \(error): \(errorDescription)" }

    /// The code is unknown, expired or used already (20003, 20004, 20065): the user must start over.
    public var isCodeSpent: Bool { [20003, 20004, 20065].contains(code) }
}

/// User login (`/open-apis/authen`): the OAuth code exchange and the signed-in user's profile.
extension FeishuClient {
    static let oauthTokenAPI = "POST /open-apis/authen/v2/oauth/token"
    static let userInfoAPI = "GET /open-apis/authen/v1/user_info"

    /// Exchanges an authorization code (single use, 5 minutes) for a user access token with the app's credentials:
    /// `POST /open-apis/authen/v2/oauth/token`. `redirectURI` must be the one of the authorize request.
    /// A refusal throws ``FeishuOAuthError``.
    public func userAccessToken(code: String, redirectURI: String) async throws -> FeishuUserAccessToken {
        let api = Self.oauthTokenAPI
        return try await Self.counted(api) {
            let body = try JSONEncoder().encode([
                "grant_type": "authorization_code", "client_id": credentials.appID, "client_secret": credentials.appSecret,
                "code": code, "redirect_uri": redirectURI,
            ])
            let (status, headers, bytes) = try await exchange(FeishuRequest(.POST, "/open-apis/authen/v2/oauth/token", body: body), token: nil)
            try Self.requireJSON(status: status, headers: headers, body: bytes)
            struct Refusal: Decodable {
                var code: Int?
                var error: String?
                var errorDescription: String?
                enum CodingKeys: String, CodingKey {
                    case code, error
                    case errorDescription = "error_description"
                }
            }
            let refusal = try? JSONDecoder().decode(Refusal.self, from: bytes)
            guard status == 200, refusal?.code ?? 0 == 0 else {
                await recorder.record(api) { $0.failures += 1 }
                throw FeishuOAuthError(code: refusal?.code ?? -1, error: refusal?.error ?? "", errorDescription: refusal?.errorDescription ?? "",
                                       httpStatus: status)
            }
            do { return try JSONDecoder().decode(FeishuUserAccessToken.self, from: bytes) } catch {
                await recorder.record(api) { $0.failures += 1 }
                throw FeishuClientError.decoding(api: api, detail: Self.describe(error))
            }
        }
    }

    /// The signed-in user: `GET /open-apis/authen/v1/user_info` with `Authorization: Bearer <user access token>`.
    public func userInfo(userAccessToken: String) async throws -> FeishuUserInfo {
        let api = Self.userInfoAPI
        return try await Self.counted(api) {
            let (status, headers, bytes) = try await exchange(FeishuRequest(.GET, "/open-apis/authen/v1/user_info"), token: userAccessToken)
            try Self.requireJSON(status: status, headers: headers, body: bytes)
            struct Envelope: Decodable {
                var code: Int?
                var msg: String?
                var data: FeishuUserInfo?
                enum CodingKeys: String, CodingKey { case code, msg, data }
                init(from decoder: any Decoder) throws {
                    let c = try decoder.container(keyedBy: CodingKeys.self)
                    code = c.lenientInt(.code)
                    msg = c.lenientString(.msg)
                    data = code == 0 ? try c.decodeIfPresent(FeishuUserInfo.self, forKey: .data) : nil
                }
            }
            let envelope: Envelope
            do { envelope = try JSONDecoder().decode(Envelope.self, from: bytes) } catch {
                await recorder.record(api) { $0.failures += 1 }
                throw FeishuClientError.decoding(api: api, detail: Self.describe(error))
            }
            guard envelope.code == 0, let data = envelope.data else {
                await recorder.record(api) { $0.failures += 1 }
                throw FeishuAPIError(code: envelope.code ?? -1, msg: envelope.msg ?? "", logID: headers.first(name: "x-tt-logid"),
                                     httpStatus: status)
            }
            return data
        }
    }

    /// A login step someone is waiting for: paced by the limiter; 429, non-JSON 5xx and transport errors retried at most
    /// three times (a retried code exchange can at worst answer "code already used").
    private func exchange(_ request: FeishuRequest, token: String?) async throws -> (Int, HTTPHeaders, Data) {
        await recorder.record(request.api) { $0.calls += 1 }
        let limiterKey = credentials.appID + " " + request.api
        let maxAttempts = max(1, min(retry.maxAttempts, 3))
        var attempt = 0
        while true {
            attempt += 1
            try await limiter.acquire(limiterKey)
            await recorder.record(request.api) { $0.attempts += 1 }
            let answer: (status: Int, headers: HTTPHeaders, body: Data)
            do {
                answer = try await send(request, token: token)
            } catch where Self.isTransient(error) && attempt < maxAttempts {
                await recorder.record(request.api) { $0.retries += 1 }
                try await Task.sleep(for: retry.delay(afterAttempt: attempt))
                continue
            }
            let busy = answer.status == 429 || answer.status >= 500 && !Self.isJSON(answer.headers)
            guard busy, attempt < maxAttempts else { return answer }
            await recorder.record(request.api) { $0.retries += 1 }
            if answer.status == 429 {
                let reset = Self.resetSeconds(answer.headers) ?? 1
                await limiter.pause(limiterKey, for: .seconds(reset))
                await recorder.record(request.api) { $0.rateLimitWaits += 1 }
                try await Task.sleep(for: .seconds(reset))
            } else {
                try await Task.sleep(for: retry.delay(afterAttempt: attempt))
            }
        }
    }
}

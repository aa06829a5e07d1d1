import AsyncHTTPClient
import FeishuKit
import Logging
import YunqiaoCore

/// One ``FeishuClient`` per app for the whole process, so every feature (sync, credential tests, messages) shares the
/// app's tenant token and its rate limiter. A client is replaced when the app's base URL, App ID or secret changes.
public actor FeishuClients {
    private struct Key: Hashable {
        var baseURL: String
        var appID: String
        var appSecret: String
    }

    private let httpClient: HTTPClient
    private let retry: RetryPolicy
    private let logger: Logger
    private var clients: [Key: FeishuClient] = [:]

    public init(httpClient: HTTPClient, retry: RetryPolicy = RetryPolicy(), logger: Logger) {
        self.httpClient = httpClient
        self.retry = retry
        self.logger = logger
    }

    public func client(baseURL: String, credentials: FeishuCredentials) -> FeishuClient {
        let key = Key(baseURL: baseURL, appID: credentials.appID, appSecret: credentials.appSecret)
        if let client = clients[key] { return client }
        // An app whose secret or base URL changed: its old client goes.
        clients = clients.filter { $0.key.appID != credentials.appID || $0.key.baseURL != baseURL }
        let client = FeishuClient(baseURL: baseURL, credentials: credentials, httpClient: httpClient, retry: retry, logger: logger)
        clients[key] = client
        return client
    }

    /// The client of an app of an enterprise (its secret unsealed from the store).
    public func client(enterprise: EnterpriseRecord, app: AppRecord, database: any BridgeStore) throws -> FeishuClient {
        client(baseURL: enterprise.baseURL, credentials: FeishuCredentials(appID: app.appID, appSecret: try database.integration.secret(of: app)))
    }
}

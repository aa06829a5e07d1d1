import AsyncHTTPClient
import Foundation
import OAKit
import YunqiaoCore

/// The OA login check of the first-visit form (issue #6) when the tenant's connector says `external`: the OA itself
/// checks the password with `POST {base}/verify-login`. The password goes to the OA only; it is never logged or stored.
public struct OALoginVerifier: Sendable {
    let database: any BridgeStore
    let httpClient: HTTPClient
    /// A user waits on the form meanwhile; an unreachable OA answers "OA unavailable" after this long at most (the HTTP
    /// client keeps retrying a refused connection until the deadline).
    var timeout: Duration = .seconds(5)

    enum Outcome: Sendable, Equatable {
        /// The tenant checks logins against the bridge's own OA directory.
        case embedded
        /// The OA accepted the login: its id of the user.
        case valid(oaUserID: String)
        case invalid
        /// The OA could not answer (down, too slow, refusing the connector secret, not the contract's JSON).
        case unavailable(reason: String)
    }

    func check(tenantId: Int64, loginID: String, password: String) async throws -> Outcome {
        guard let connector = try await database.oaConnectors.oaConnector(tenantId: tenantId), connector.loginCheck == .external else { return .embedded }
        guard !loginID.isEmpty, !password.isEmpty else { return .invalid }
        let client = OAConnectorClient(baseURL: connector.baseURL, secret: try database.oaConnectors.secret(of: connector), httpClient: httpClient,
                                       timeout: timeout, maxResponseBytes: 64 * 1024)
        do {
            switch try await client.verifyLogin(loginID: loginID, password: password) {
            case .valid(let userID): return .valid(oaUserID: userID)
            case .invalid: return .invalid
            }
        } catch {
            return .unavailable(reason: error.description)
        }
    }
}

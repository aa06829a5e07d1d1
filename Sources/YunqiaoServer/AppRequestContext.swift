import Foundation
import YunqiaoCore
import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore
import YunqiaoServices

/// What a console login keeps in its session.
public struct AdminSession: Codable, Sendable, Equatable {
    public var adminId: Int64
    public var csrfToken: String
}

/// The request context of the bridge's HTTP app.
public struct AppRequestContext: AuthRequestContext, SessionRequestContext, RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: AdminIdentity?
    /// Set by ``OAKeyMiddleware`` on the OA-facing API.
    public var oaCaller: OACaller?
    public let sessions: SessionContext<AdminSession>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        oaCaller = nil
        sessions = SessionContext()
        remoteAddress = source.channel.remoteAddress
    }

    public var requestDecoder: AppRequestDecoder { AppRequestDecoder() }

    /// The admin, or 401.
    public func admin() throws -> AdminIdentity {
        guard let identity else { throw APIError(.unauthorized, field: nil, message: "sign in or send an API token (Authorization: Bearer …)") }
        return identity
    }
}

/// Bodies as JSON, or as an HTML form when the request says so. A body that does not decode is a 400 naming the field
/// (``APIError/decoding(_:)``), not Hummingbird's message without one.
public struct AppRequestDecoder: RequestDecoder {
    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        do {
            if request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
                return try await URLEncodedFormDecoder().decode(type, from: request, context: context)
            }
            return try await JSONDecoder().decode(type, from: request, context: context)
        } catch let error as DecodingError {
            throw APIError.decoding(error)
        }
    }
}

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
    /// JSON bodies may carry only fields of their type (set on the admin API by ``RefuseUnknownFieldsMiddleware``).
    public var refusesUnknownFields = false
    public let sessions: SessionContext<AdminSession>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        oaCaller = nil
        sessions = SessionContext()
        remoteAddress = source.channel.remoteAddress
    }

    public var requestDecoder: AppRequestDecoder { AppRequestDecoder(refusesUnknownFields: refusesUnknownFields) }

    /// The admin, or 401.
    public func admin() throws -> AdminIdentity {
        guard let identity else { throw APIError(.unauthorized, field: nil, message: "sign in or send an API token (Authorization: Bearer …)") }
        return identity
    }
}

/// Bodies as JSON (through ``JSONBody``: nesting limit, field paths, unknown fields on the admin API), or as an HTML
/// form when the request says so; read within the context's `maxUploadSize` (too large: 413 naming the limit). A body
/// that does not decode is a 400 naming the field (``APIError/decoding(_:)``), not Hummingbird's message without one.
public struct AppRequestDecoder: RequestDecoder {
    var refusesUnknownFields = false

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        var request = request
        let body = try await request.collectBody(within: context.maxUploadSize)
        if request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
            do {
                return try URLEncodedFormDecoder().decode(type, from: String(buffer: body))
            } catch let error as DecodingError {
                throw APIError.decoding(error)
            }
        }
        return try JSONBody.decode(type, from: body, refuseUnknownFields: refusesUnknownFields)
    }
}

/// Who is calling the admin API or the console.
public struct AdminIdentity: Sendable, Equatable {
    public enum Via: Sendable, Equatable {
        /// A console login; unsafe methods need the session's CSRF token.
        case session(adminId: Int64, csrfToken: String)
        /// An API bearer token.
        case token(id: Int64)
    }

    public var tenantId: Int64
    /// As written in the audit log: the admin's user name, or `token:<name>`.
    public var name: String
    public var via: Via
    /// What the caller may do: a console login may do everything, a token what its scope allows.
    public var scope: APITokenScope
    /// A super-admin (``AdminRole/superAdmin``) also manages the tenants; everything else stays in `tenantId`.
    public var superAdmin: Bool

    public init(tenantId: Int64, name: String, via: Via, scope: APITokenScope = .full, superAdmin: Bool = false) {
        self.tenantId = tenantId
        self.name = name
        self.via = via
        self.scope = scope
        self.superAdmin = superAdmin
    }

    /// A console login (API tokens are created only from one).
    public var isSession: Bool {
        if case .session = via { return true }
        return false
    }

    public var csrfToken: String? {
        if case .session(_, let token) = via { return token }
        return nil
    }
}

/// What an admin API token may do.
public enum APITokenScope: String, Sendable, Codable, CaseIterable {
    /// Reads only (GET): any other method is refused with 403.
    case readOnly
    /// Everything a console login may do, but creating tokens.
    case full
}

/// An OA system calling the OA-facing API with its key.
public struct OACaller: Sendable, Equatable {
    public var tenantId: Int64
    /// As written in the audit log: `oa:<key name>`.
    public var name: String

    public init(tenantId: Int64, name: String) {
        self.tenantId = tenantId
        self.name = name
    }
}


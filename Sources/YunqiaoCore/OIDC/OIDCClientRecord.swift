import Foundation

/// An OA registered with the bridge's OpenID Connect provider (issue #16): it sends its users to the bridge's authorize
/// endpoint, and gets back who they are in the OA (`sub` = the OA user id). Its secret is sealed like app secrets; its
/// redirect URIs are matched exactly.
public struct OIDCClientRecord: Sendable, Equatable {
    public var id: Int64?
    public var tenantId: Int64
    /// The public client id (`yqc_…`), unique across tenants.
    public var clientID: String
    public var name: String
    /// Where the authorize endpoint may send the user back to, matched exactly.
    public var redirectURIs: [String]
    /// Where RP-initiated logout may send the user back to, matched exactly.
    public var postLogoutRedirectURIs: [String]
    /// The Feishu app whose sign-in identifies the user (its enterprise's bindings say who the user is in the OA).
    public var appId: Int64
    public var sealedSecret: String
    public var createdBy: String
    public var createdAt: Date

    public init(id: Int64? = nil, tenantId: Int64, clientID: String, name: String, redirectURIs: [String], postLogoutRedirectURIs: [String],
                appId: Int64, sealedSecret: String, createdBy: String, createdAt: Date)
    {
        self.id = id
        self.tenantId = tenantId
        self.clientID = clientID
        self.name = name
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.appId = appId
        self.sealedSecret = sealedSecret
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// What an admin enters for an OIDC client.
public struct OIDCClientInput: Codable, Sendable, Equatable {
    public var name: String
    public var redirectURIs: [String]
    public var postLogoutRedirectURIs: [String]
    public var appId: Int64

    public init(name: String, redirectURIs: [String], postLogoutRedirectURIs: [String] = [], appId: Int64) {
        self.name = name
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.appId = appId
    }

    private enum CodingKeys: String, CodingKey { case name, redirectURIs, postLogoutRedirectURIs, appId }

    /// `postLogoutRedirectURIs` may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name), redirectURIs: try container.decode([String].self, forKey: .redirectURIs),
                  postLogoutRedirectURIs: try container.decodeIfPresent([String].self, forKey: .postLogoutRedirectURIs) ?? [],
                  appId: try container.decode(Int64.self, forKey: .appId))
    }

    /// The most redirect URIs of each kind a client has.
    public static let maxRedirectURIs = 20

    /// Checks the URIs, naming the field: each an absolute http(s) URL in printable ASCII (as the OpenAPI document's
    /// pattern says) without a fragment or credentials, at most 2 000 characters, at most ``maxRedirectURIs``, at least one redirect URI. (The name and the app are the store's to check.)
    public func validateURIs() throws(YunqiaoError) {
        guard !redirectURIs.isEmpty else { throw .invalid(field: "redirectURIs", message: "at least one redirect URI") }
        for (field, list) in [("redirectURIs", redirectURIs), ("postLogoutRedirectURIs", postLogoutRedirectURIs)] {
            guard list.count <= Self.maxRedirectURIs else {
                throw .invalid(field: field, message: "at most \(Self.maxRedirectURIs) URIs")
            }
            for (index, uri) in list.enumerated() where !Self.isRedirectURI(uri) {
                throw .invalid(field: "\(field)[\(index)]",
                               message: "an absolute http(s) URL in printable ASCII with a host, without a fragment or credentials, at most 2000 characters")
            }
        }
    }

    public static func isRedirectURI(_ text: String) -> Bool {
        guard text.count <= 2000, !text.contains("#"), text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
              let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else { return false }
        return true
    }
}

/// A key the provider signs ID tokens with (RS256), per tenant; the newest signs, the others stay in the JWKS until the
/// tokens they signed have expired.
public struct OIDCSigningKey: Sendable, Equatable {
    /// The key id (`kid`) in token headers and the JWKS.
    public var kid: String
    /// The private key, PEM (opened from its sealed form only by the store).
    public var privateKeyPEM: String
    public var createdAt: Date

    public init(kid: String, privateKeyPEM: String, createdAt: Date) {
        self.kid = kid
        self.privateKeyPEM = privateKeyPEM
        self.createdAt = createdAt
    }
}

import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The admin JSON API under `/api/admin/v1` (documented in `/openapi.json`). Bearer token or console session + CSRF.
struct AdminAPIController {
    let service: AdminService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("me") { _, context in Me(try context.admin()) }
        routes.get("settings") { _, context in try await service.settings(context.admin()) }
        routes.put("settings") { request, context in
            try await service.updateSettings(context.admin(), request.decode(as: SettingsInput.self, context: context))
        }
        routes.post("settings/check-network") { request, context in
            let input = try await request.decode(as: CheckNetworkInput.self, context: context)
            return try await service.checkNetwork(context.admin(), enterpriseId: input.enterpriseId)
        }

        routes.get("enterprises") { _, context in Items(try await service.enterprises(context.admin())) }
        routes.post("enterprises") { request, context in
            let created = try await service.createEnterprise(context.admin(), request.decode(as: EnterpriseInput.self, context: context))
            return EditedResponse(status: .created, response: created)
        }
        routes.get("enterprises/:id") { _, context in try await service.enterprise(context.admin(), id: context.id("id")) }
        routes.put("enterprises/:id") { request, context in
            try await service.updateEnterprise(context.admin(), id: context.id("id"), request.decode(as: EnterpriseInput.self, context: context))
        }
        routes.delete("enterprises/:id") { _, context in
            try await service.deleteEnterprise(context.admin(), id: context.id("id"))
            return HTTPResponse.Status.noContent
        }

        routes.get("enterprises/:id/apps") { _, context in Items(try await service.apps(context.admin(), enterpriseId: context.id("id"))) }
        routes.post("enterprises/:id/apps") { request, context in
            let created = try await service.createApp(context.admin(), enterpriseId: context.id("id"),
                                                      request.decode(as: AppInput.self, context: context))
            return EditedResponse(status: .created, response: created)
        }
        routes.get("apps/:id") { _, context in try await service.app(context.admin(), id: context.id("id")) }
        routes.put("apps/:id") { request, context in
            try await service.updateApp(context.admin(), id: context.id("id"), request.decode(as: AppInput.self, context: context))
        }
        routes.delete("apps/:id") { _, context in
            try await service.deleteApp(context.admin(), id: context.id("id"))
            return HTTPResponse.Status.noContent
        }
        routes.post("apps/:id/test-credentials") { _, context in try await service.testCredentials(context.admin(), appId: context.id("id")) }

        routes.get("homepage-apps") { _, context in Items(try await service.homepageApps(context.admin())) }
        routes.post("homepage-apps") { request, context in
            let created = try await service.createHomepageApp(context.admin(), request.decode(as: HomepageAppInput.self, context: context))
            return EditedResponse(status: .created, response: created)
        }
        routes.get("homepage-apps/:id") { _, context in try await service.homepageApp(context.admin(), id: context.id("id")) }
        routes.put("homepage-apps/:id") { request, context in
            try await service.updateHomepageApp(context.admin(), id: context.id("id"),
                                                request.decode(as: HomepageAppInput.self, context: context))
        }
        routes.delete("homepage-apps/:id") { _, context in
            try await service.deleteHomepageApp(context.admin(), id: context.id("id"))
            return HTTPResponse.Status.noContent
        }

        routes.get("enterprises/:id/departments") { _, context in
            Items(try await service.directory.departmentTree(context.admin(), enterpriseId: context.id("id")))
        }
        routes.get("enterprises/:id/users") { request, context in
            let query = request.uri.queryParameters
            return try await service.directory.users(context.admin(), enterpriseId: context.id("id"), query: query.get("q") ?? "",
                                           department: query.get("department"), bound: try Self.bound(query.get("binding")),
                                           limit: try Self.int(query.get("limit"), "limit", in: 1...200) ?? 50,
                                           offset: try Self.int(query.get("offset"), "offset", in: 0...Int.max) ?? 0)
        }
        routes.get("enterprises/:id/users/:user") { _, context in
            try await service.directory.user(context.admin(), enterpriseId: context.id("id"), id: context.parameters.require("user"))
        }
        routes.post("enterprises/:id/sync") { _, context in
            let (run, started) = try await service.directory.startSync(context.admin(), enterpriseId: context.id("id"))
            return EditedResponse(status: started ? .accepted : .ok, response: SyncStart(started: started, run: run))
        }
        routes.get("enterprises/:id/sync-runs") { request, context in
            Items(try await service.directory.syncRuns(context.admin(), enterpriseId: context.id("id"),
                                             limit: try Self.int(request.uri.queryParameters.get("limit"), "limit", in: 1...200) ?? 50))
        }
        routes.get("enterprises/:id/sync-runs/:run") { _, context in
            try await service.directory.syncRun(context.admin(), enterpriseId: context.id("id"), id: context.id("run"))
        }

        routes.get("audit") { request, context in
            let query = request.uri.queryParameters
            let filter = AuditFilter(actor: query.get("actor"), action: query.get("action"), text: query.get("q"),
                                     since: try Self.date(query.get("since"), "since"), until: try Self.date(query.get("until"), "until"),
                                     limit: try Self.int(query.get("limit"), "limit", in: 1...500) ?? 100,
                                     beforeId: try Self.int(query.get("before"), "before").map(Int64.init))
            return Items(try await service.auditLog(context.admin(), filter: filter))
        }

        routes.get("tokens") { _, context in Items(try await service.tokens(context.admin())) }
        routes.post("tokens") { request, context in
            let created = try await service.createToken(context.admin().creatingTokens(), request.decode(as: TokenInput.self, context: context))
            return EditedResponse(status: .created, response: created)
        }
        routes.delete("tokens/:id") { _, context in
            try await service.revokeToken(context.admin(), id: context.id("id"))
            return HTTPResponse.Status.noContent
        }
        return routes
    }

    static func int(_ text: String?, _ field: String) throws -> Int? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw APIError.invalid(field, "must be an integer") }
        return value
    }

    /// An integer query parameter within the bounds the OpenAPI document declares for it, or 400 naming it.
    static func int(_ text: String?, _ field: String, in bounds: ClosedRange<Int>) throws -> Int? {
        guard let value = try int(text, field) else { return nil }
        guard bounds.contains(value) else {
            throw APIError.invalid(field, bounds.upperBound == .max ? "must be at least \(bounds.lowerBound)"
                                   : "must be between \(bounds.lowerBound) and \(bounds.upperBound)")
        }
        return value
    }

    /// The `binding` filter of a directory list: `bound` → true, `unbound` → false, empty → nil.
    static func bound(_ text: String?) throws -> Bool? {
        switch text ?? "" {
        case "": return nil
        case "bound": return true
        case "unbound": return false
        default: throw APIError.invalid("binding", "must be bound or unbound")
        }
    }

    /// A date (`2026-11-26`, midnight UTC) or an RFC 3339 time (`2026-11-26T08:00:00Z`, `…T16:00:00.5+08:00`), as the
    /// OpenAPI document's `date` and `date-time` formats say; empty → nil.
    static func date(_ text: String?, _ field: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        return try requiredDate(text, field)
    }

    /// A date or an RFC 3339 time as ``date(_:_:)`` reads them (``RFC3339``); anything else, empty included, is a 400
    /// naming `field`.
    static func requiredDate(_ text: String, _ field: String) throws -> Date {
        guard let date = RFC3339.time(text) ?? RFC3339.day(text) else {
            throw APIError.invalid(field, "must be a date (2026-11-26) or an ISO 8601 time")
        }
        return date
    }
}

/// `{"items": [...]}`: every list answer, so lists can grow fields (paging) without breaking clients.
struct Items<Element: Encodable & Sendable>: ResponseEncodable, Sendable {
    var items: [Element]
    init(_ items: [Element]) { self.items = items }
}

struct Me: ResponseEncodable, Sendable {
    var name: String
    var tenantId: Int64
    /// `session` or `token`.
    var via: String
    /// The super-admin (or a super-admin token) also manages the tenants.
    var superAdmin: Bool
    init(_ identity: AdminIdentity) {
        name = identity.name
        tenantId = identity.tenantId
        superAdmin = identity.superAdmin
        if case .token = identity.via { via = "token" } else { via = "session" }
    }
}

struct SyncStart: ResponseEncodable, Sendable {
    var started: Bool
    var run: SyncRunView
}

extension SettingsView: ResponseEncodable {}
extension EnterpriseView: ResponseEncodable {}
extension AppView: ResponseEncodable {}
extension HomepageAppView: ResponseEncodable {}
extension UserPage: ResponseEncodable {}
extension UserView: ResponseEncodable {}
extension SyncRunView: ResponseEncodable {}
extension TokenView: ResponseEncodable {}
extension CheckResult: ResponseEncodable {}

extension AdminIdentity {
    /// The identity, when it may create API tokens: a console login, never a token (403).
    func creatingTokens() throws -> AdminIdentity {
        guard isSession else {
            throw APIError(.forbidden, field: "Authorization", message: "API tokens are created from a console login, not with an API token")
        }
        return self
    }
}

extension AppRequestContext {
    /// A numeric path parameter, or 400 naming it.
    func id(_ name: String) throws -> Int64 {
        guard let text = parameters.get(name), let value = Int64(text), value > 0 else {
            throw APIError.invalid(name, "must be a positive integer")
        }
        return value
    }

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }
}

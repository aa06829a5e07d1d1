import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// Lets only OA systems with a live key through (`Authorization: Bearer <OA key>`).
struct OAKeyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let database: any BridgeStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer "),
              let key = try await database.admins.useOAKey(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces), at: Date())
        else { throw APIError(.unauthorized, field: "Authorization", message: "send an OA key: Authorization: Bearer <key>") }
        var context = context
        context.oaCaller = OACaller(tenantId: key.tenantId, name: "oa:\(key.name)")
        return try await next(request, context)
    }
}

/// The OA-facing API under `/api/v1` (issue #6, way 2): the OA pushes its directory in bulk. The body holds
/// `departments` and/or `users` as objects with the import columns (`oa_id`, `login_id`, `name`, `mobile`, …); the
/// same rules as a file import apply, every bad item is reported, and nothing is applied when any item is bad.
struct OAPushAPIController {
    let database: any BridgeStore
    static let maxBody = 64 * 1024 * 1024

    struct Push: Decodable {
        var departments: [[String: String]]?
        var users: [[String: String]]?
        /// `merge` (default) or `replace` (missing users become `left`, missing departments are deleted).
        var mode: String?
    }

    struct Rejected: Encodable {
        struct Detail: Encodable {
            var field: String
            var message: String
        }
        struct Item: Encodable {
            /// `departments` or `users`.
            var list: String
            /// Position in that list, from 0.
            var index: Int
            var column: String?
            var message: LocalizedText
        }
        var applied = false
        var error: Detail
        var items: [Item]
    }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("directory") { request, context in try await push(request, context) }
        return routes
    }

    private func push(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let caller = context.oaCaller else { throw APIError(.unauthorized, message: "send an OA key") }
        // Read within this endpoint's own limit (not the 2 MB of other bodies), then decoded like every JSON body.
        let body = try JSONBody.decode(Push.self, from: try await request.body.collect(within: Self.maxBody))
        let mode: OADirectoryImportMode
        if let text = body.mode, !text.isEmpty {
            guard let value = OADirectoryImportMode(rawValue: text.lowercased()) else { throw APIError.invalid("mode", "must be merge or replace") }
            mode = value
        } else {
            mode = .merge
        }
        guard body.departments != nil || body.users != nil else { throw APIError.invalid("users", "send departments and/or users") }
        let state = try await database.oaDirectory.oaDirectoryState(tenantId: caller.tenantId)
        var rejected: [Rejected.Item] = []
        var departments: [OADirectoryImport.Department] = []
        if let items = body.departments {
            do {
                departments = try OADirectoryImport.departments(OADirectoryImport.rows(items), existing: state.departments)
            } catch {
                rejected += error.errors.map { Rejected.Item(list: "departments", index: $0.line - 2, column: $0.column, message: $0.message) }
            }
        }
        var users: [OADirectoryImport.User] = []
        if let items = body.users {
            let known = Set(state.departments.keys).union(body.departments?.compactMap { $0["oa_id"] } ?? [])
            do {
                users = try OADirectoryImport.users(OADirectoryImport.rows(items), departments: known, existingLogins: state.logins)
            } catch {
                rejected += error.errors.map { Rejected.Item(list: "users", index: $0.line - 2, column: $0.column, message: $0.message) }
            }
        }
        guard rejected.isEmpty else {
            let message = "\(rejected.count) item\(rejected.count == 1 ? " has" : "s have") errors; nothing was applied"
            return try OADirectoryAPIController.json(.badRequest, Rejected(error: .init(field: rejected[0].list, message: message), items: rejected),
                                                     context: context)
        }
        let result = try await database.oaDirectory.importOADirectory(tenantId: caller.tenantId, departments: departments, users: users, mode: mode,
                                                                      source: .api, by: AuditActor(caller.name), at: Date())
        // Parked past the decrease threshold: taken, not applied (202); an admin applies or discards it.
        return try OADirectoryAPIController.json(result.parked == nil ? .ok : .accepted, AppliedImport(result), context: context)
    }
}

/// OA keys in the admin API: create (shown once), list, revoke.
struct OAKeysAPIController {
    let database: any BridgeStore

    struct OAKeyInput: Decodable {
        var name: String
    }

    struct KeyView: ResponseEncodable, Sendable {
        var id: Int64
        var name: String
        var hint: String
        var createdBy: String
        var createdAt: Date
        var lastUsedAt: Date?
        var revokedAt: Date?
        /// The key itself: only in the answer that creates it.
        var key: String?

        init(_ record: OAKeyRecord, key: String? = nil) {
            id = record.id ?? 0
            name = record.name
            hint = "••••" + record.hint
            createdBy = record.createdBy
            createdAt = record.createdAt
            lastUsedAt = record.lastUsedAt
            revokedAt = record.revokedAt
            self.key = key
        }
    }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("oa-keys") { _, context in Items(try await database.admins.oaKeys(tenantId: context.admin().tenantId).map { KeyView($0) }) }
        routes.post("oa-keys") { request, context in
            let admin = try context.admin()
            let input = try await request.decode(as: OAKeyInput.self, context: context)
            let key = Passwords.token(prefix: "yqoa_")
            let record = try await database.admins.createOAKey(tenantId: admin.tenantId, name: input.name, key: key, by: admin.actor)
            return EditedResponse(status: .created, response: KeyView(record, key: key))
        }
        routes.delete("oa-keys/:id") { _, context in
            let admin = try context.admin()
            try await database.admins.revokeOAKey(tenantId: admin.tenantId, id: context.id("id"), by: admin.actor)
            return HTTPResponse.Status.noContent
        }
        return routes
    }
}

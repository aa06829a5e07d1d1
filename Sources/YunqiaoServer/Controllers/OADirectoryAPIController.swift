import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The OA directory in the admin API (issue #6, way 1): import departments or users from a CSV or XLSX file, list them.
struct OADirectoryAPIController {
    let database: any BridgeStore
    /// The largest file accepted.
    static let maxFileSize = 32 * 1024 * 1024

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("oa-directory/import") { request, context in try await importFile(request, context: context) }
        routes.get("oa-directory/departments") { _, context in
            let admin = try context.admin()
            return Items(try await database.oaDirectory.oaDepartments(tenantId: admin.tenantId).map(OADepartmentView.init))
        }
        routes.get("oa-directory/users") { request, context in
            let admin = try context.admin()
            let query = request.uri.queryParameters
            let limit = try AdminAPIController.int(query.get("limit"), "limit") ?? 50
            let offset = try AdminAPIController.int(query.get("offset"), "offset") ?? 0
            guard (1...500).contains(limit) else { throw APIError.invalid("limit", "must be between 1 and 500") }
            guard offset >= 0 else { throw APIError.invalid("offset", "must not be negative") }
            let enterpriseId = try AdminAPIController.int(query.get("enterpriseId"), "enterpriseId", in: 1...Int.max).map(Int64.init)
            let binding = try AdminAPIController.bound(query.get("binding")).map { BindingFilter(bound: $0, enterpriseId: enterpriseId) }
            let directory = OADirectoryService(database: database)
            let page = try await directory.users(admin, query: query.get("q") ?? "", department: query.get("department"), binding: binding,
                                                 limit: limit, offset: offset)
            let bindings = try await directory.bindings(admin, oaUserIDs: page.users.map(\.oaID))
            return OAUserPage(total: page.total, items: page.users.map { OAUserView($0, bindings: bindings[$0.oaID] ?? []) })
        }
        // The user-decrease threshold and the changes it parked (every source of the directory goes through it).
        routes.get("oa-directory/threshold") { _, context in try await OADirectoryService(database: database).threshold(context.admin()) }
        routes.put("oa-directory/threshold") { request, context in
            let input = try await request.decode(as: DecreaseThreshold.self, context: context)
            return try await OADirectoryService(database: database).setThreshold(context.admin(), input)
        }
        routes.get("oa-directory/parked") { _, context in
            Items(try await OADirectoryService(database: database).parkedChanges(context.admin()))
        }
        routes.post("oa-directory/parked/:id/apply") { _, context in
            try await OADirectoryService(database: database).applyParked(context.admin(), id: context.id("id"))
        }
        routes.post("oa-directory/parked/:id/discard") { _, context in
            try await OADirectoryService(database: database).discardParked(context.admin(), id: context.id("id"))
            return HTTPResponse.Status.noContent
        }
        routes.put("oa-users/:oaID/password") { request, context in
            let input = try await request.decode(as: PasswordInput.self, context: context)
            try await OADirectoryService(database: database).setPassword(context.admin(), oaID: context.pathComponent("oaID"),
                                                                         password: input.password)
            return HTTPResponse.Status.noContent
        }
        return routes
    }

    func importFile(_ request: Request, context: AppRequestContext) async throws -> Response {
        let admin = try context.admin()
        let query = request.uri.queryParameters
        guard let sheetName = query.get("sheet"), let sheet = OADirectoryImport.Sheet(rawValue: sheetName.lowercased()) else {
            throw APIError.invalid("sheet", "must be departments or users")
        }
        let mode: OADirectoryImportMode
        if let text = query.get("mode"), !text.isEmpty {
            guard let value = OADirectoryImportMode(rawValue: text.lowercased()) else { throw APIError.invalid("mode", "must be merge or replace") }
            mode = value
        } else {
            mode = .merge
        }
        if let text = query.get("format"), !text.isEmpty, SpreadsheetReader.Format(rawValue: text.lowercased()) == nil {
            throw APIError.invalid("format", "must be csv or xlsx")
        }
        guard let format = SpreadsheetReader.Format(format: query.get("format"), contentType: request.headers[.contentType],
                                                     fileName: query.get("filename"))
        else {
            throw APIError.invalid("format", "send Content-Type text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, or add ?format=csv|xlsx")
        }
        let body = try await request.body.collect(within: Self.maxFileSize)
        switch try await OADirectoryService(database: database).importSheet(admin, sheet: sheet, mode: mode, format: format,
                                                                            data: Data(body.readableBytesView)) {
        // Parked past the decrease threshold: taken, not applied (202).
        case .applied(let applied): return try Self.json(applied.parked == nil ? .ok : .accepted, applied, context: context)
        case .rejected(let rejected): return try Self.json(.badRequest, rejected, context: context)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, context: AppRequestContext) throws -> Response {
        let data = try context.responseEncoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// `PUT oa-users/{oaID}/password`: the new password of an embedded-directory OA user (write-only).
struct PasswordInput: Decodable, Sendable {
    var password: String
}

extension AppRequestContext {
    /// A path parameter, percent-decoded (OA ids and union ids may hold any character).
    func pathComponent(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }
}

struct OADepartmentView: Encodable, Sendable {
    var oaID: String
    var name: String
    var parentOaID: String?
    var subcompany: String?
    var order: Int
    var updatedAt: Date

    init(_ record: OADepartmentRecord) {
        oaID = record.oaID
        name = record.name
        parentOaID = record.parentOaID
        subcompany = record.subcompanyOaID
        order = record.sortOrder
        updatedAt = record.updatedAt
    }
}

/// An OA user as the API shows it (never the password hash).
struct OAUserView: Encodable, Sendable {
    var oaID: String
    var loginID: String
    var name: String
    var mobile: String?
    var email: String?
    var employeeNo: String?
    var title: String?
    /// The primary department first.
    var departmentOaIDs: [String]
    var status: String
    var updatedAt: Date
    /// The user's bindings, one per enterprise where they are bound (empty: unbound).
    var bindings: [Binding]

    struct Binding: Encodable, Sendable {
        var enterpriseId: Int64
        var unionID: String
        var feishuName: String?
        var method: String
    }

    init(_ record: OAUserRecord, bindings: [BindingEntry]) {
        self.bindings = bindings.map { entry in
            Binding(enterpriseId: entry.binding.enterpriseId, unionID: entry.binding.unionID, feishuName: entry.feishuName, method: entry.binding.method)
        }
        oaID = record.oaID
        loginID = record.loginID
        name = record.name
        mobile = record.mobile
        email = record.email
        employeeNo = record.employeeNo
        title = record.title
        departmentOaIDs = (try? JSONDecoder().decode([String].self, from: Data(record.departmentOaIDs.utf8))) ?? []
        status = record.status
        updatedAt = record.updatedAt
    }
}

struct OAUserPage: ResponseEncodable, Sendable {
    var total: Int
    var items: [OAUserView]
}

extension OADepartmentView: ResponseEncodable {}

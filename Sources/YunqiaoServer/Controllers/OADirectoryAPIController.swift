import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoStore

/// The OA directory in the admin API (issue #6, way 1): import departments or users from a CSV or XLSX file, list them.
struct OADirectoryAPIController {
    let database: YunqiaoDatabase
    /// The largest file accepted.
    static let maxFileSize = 32 * 1024 * 1024

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("oa-directory/import") { request, context in try await importFile(request, context: context) }
        routes.get("oa-directory/departments") { _, context in
            let admin = try context.admin()
            return Items(try await database.oaDepartments(tenantId: admin.tenantId).map(OADepartmentView.init))
        }
        routes.get("oa-directory/users") { request, context in
            let admin = try context.admin()
            let query = request.uri.queryParameters
            let limit = try AdminAPIController.int(query.get("limit"), "limit") ?? 50
            let offset = try AdminAPIController.int(query.get("offset"), "offset") ?? 0
            guard (1...500).contains(limit) else { throw APIError.invalid("limit", "must be between 1 and 500") }
            guard offset >= 0 else { throw APIError.invalid("offset", "must not be negative") }
            let page = try await database.oaUsers(tenantId: admin.tenantId, query: query.get("q") ?? "", limit: limit, offset: offset)
            return OAUserPage(total: page.total, items: page.users.map(OAUserView.init))
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
            throw APIError.invalid("format", "send Content-Type text/csv or "
                + "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, or add ?format=csv|xlsx")
        }
        let body = try await request.body.collect(upTo: Self.maxFileSize)
        guard body.readableBytes > 0 else { throw APIError.invalid("file", "the file is empty") }
        let rows: [[String]]
        do {
            rows = try SpreadsheetReader.rows(Data(body.readableBytesView), format: format)
        } catch let error as SpreadsheetReader.ReadError {
            throw APIError.invalid("file", error.message)
        }

        let state = try await database.oaDirectoryState(tenantId: admin.tenantId)
        let result: OADirectoryImportResult
        do {
            switch sheet {
            case .departments:
                let departments = try OADirectoryImport.departments(rows, existing: state.departments)
                result = try await database.importOADirectory(tenantId: admin.tenantId, departments: departments, users: [], mode: mode,
                                                              by: AuditActor(admin.name))
            case .users:
                let users = try OADirectoryImport.users(rows, departments: Set(state.departments.keys), existingLogins: state.logins)
                result = try await database.importOADirectory(tenantId: admin.tenantId, departments: [], users: users, mode: mode,
                                                              by: AuditActor(admin.name))
            }
        } catch let failure as OADirectoryImport.Failure {
            let count = failure.lineCount
            return try Self.json(.badRequest, RejectedImport(
                error: .init(field: "file", message: "\(count) row\(count == 1 ? " has" : "s have") errors"), rows: failure.errors),
                context: context)
        }
        return try Self.json(.ok, AppliedImport(result), context: context)
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, context: AppRequestContext) throws -> Response {
        let data = try context.responseEncoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

struct AppliedImport: Encodable, Sendable {
    var applied = true
    var created: Int
    var updated: Int
    var unchanged: Int
    var left: Int
    var deleted: Int

    init(_ result: OADirectoryImportResult) {
        created = result.created
        updated = result.updated
        unchanged = result.unchanged
        left = result.left
        deleted = result.deleted
    }
}

struct RejectedImport: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        var field: String
        var message: String
    }
    var applied = false
    var error: Detail
    var rows: [OADirectoryImport.RowError]
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

    init(_ record: OAUserRecord) {
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

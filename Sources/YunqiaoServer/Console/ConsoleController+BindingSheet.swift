import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// The association sheet (关联导入) of an enterprise, `/console/enterprises/{id}/binding-sheet`: download the Feishu
/// users as CSV or XLSX, upload the filled sheet (a multipart form: `file`, `field`, `action` = `preview` | `apply`).
/// A preview shows every row's outcome without writing and keeps the rows 30 minutes for "apply these"; an import
/// stores its result an hour and redirects (303) to the page showing it (`?result=`). Refused input shows the page
/// again (400) with the message next to its field.
extension ConsoleController {
    /// Rows of a result shown on the page (skipped rows are counted, not listed).
    static let bindingSheetShownRows = 1000
    static let bindingSheetDefaultField = BindingSheet.Field.mobile

    func addBindingSheetRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("enterprises/:id/binding-sheet") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            var values = try await bindingSheetPage(admin, id, request, entered: [:])
            if let token = request.uri.queryParameters.get("result"),
               let stored = try await loadBindingSheet(StoredResult.self, "result", token, admin, id)
            {
                values["result"] = bindingSheetResult(stored, strings(request))
            }
            return show("binding-sheet", values, request, context)
        }
        routes.get("enterprises/:id/binding-sheet/download") { request, context in
            let format = try BindingSheetAPIController.exportFormat(request.uri.queryParameters.get("format"))
            return try await BindingSheetExport.response(service, context.admin(), enterpriseId: context.id("id"), format: format)
        }
        routes.post("enterprises/:id/binding-sheet") { request, context in try await uploadBindingSheet(request, context) }
        routes.post("enterprises/:id/binding-sheet/apply") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            guard let token = form["upload"], let upload = try await loadBindingSheet(StoredUpload.self, "upload", token, admin, id) else {
                var values = try await bindingSheetPage(admin, id, request, entered: [:])
                values["formError"] = strings(request)["bs_preview_expired"]
                return show("binding-sheet", values, request, context, status: .badRequest)
            }
            try await forget("upload", token)
            return try await applyBindingSheet(admin, id, rows: upload.rows, field: upload.field, fileName: upload.fileName)
        }
        // A reload or the language switch after a preview or a refused post goes back to the page.
        routes.get("enterprises/:id/binding-sheet/apply") { request, context in
            Self.seeOther("/console/enterprises/\(try context.id("id"))/binding-sheet" + (request.uri.query.map { "?" + $0 } ?? ""))
        }
    }

    // MARK: upload

    private func uploadBindingSheet(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (admin, id, t) = (try context.admin(), try context.id("id"), strings(request))
        _ = try await service.enterprise(admin, id: id)
        var request = request
        let body = try await request.collectBody(within: MultipartForm.maxBodySize)
        var entered: [String: String] = [:]
        func refuse(_ field: String, _ message: String) async throws -> Response {
            var values = try await bindingSheetPage(admin, id, request, entered: entered)
            values["err"] = [field: message]
            values["formError"] = (t["bs_label_" + field] ?? field) + (t["label_separator"] ?? ": ") + message
            return show("binding-sheet", values, request, context, status: .badRequest)
        }
        guard let form = try? MultipartForm(contentType: request.headers[.contentType], body: Data(body.readableBytesView)) else {
            return try await refuse("file", t["bs_err_no_file"] ?? "")
        }
        entered["field"] = form["field"] ?? ""
        guard let field = BindingSheet.Field(rawValue: form["field"] ?? "") else {
            return try await refuse("field", t["bs_err_field"] ?? "")
        }
        guard let file = form.files["file"], !file.data.isEmpty else { return try await refuse("file", t["bs_err_no_file"] ?? "") }
        let rows: [BindingSheet.Row]
        do {
            rows = try BindingSheetAPIController.rows(file.data, format: nil, contentType: file.contentType, fileName: file.fileName)
        } catch let error as APIError {
            return try await refuse("file", ConsoleStrings.text(error.message, ConsoleLanguage(request: request)))
        }
        guard form["action"] == "preview" else {
            return try await applyBindingSheet(admin, id, rows: rows, field: field, fileName: file.fileName)
        }
        let plan = try await service.database.bindings.importBindingSheet(tenantId: admin.tenantId, enterpriseId: id, rows: rows, field: field,
                                                                          dryRun: true, by: admin.actor)
        var stored = StoredResult(tenantId: admin.tenantId, enterpriseId: id, field: field, fileName: file.fileName, dryRun: true, plan: plan)
        if plan.counts.bound > 0 {
            let token = Passwords.token(bytes: 24)
            try await persist(StoredUpload(tenantId: admin.tenantId, enterpriseId: id, field: field, fileName: file.fileName, rows: rows),
                              "upload", token, minutes: 30)
            stored.upload = token
        }
        var values = try await bindingSheetPage(admin, id, request, entered: entered)
        values["result"] = bindingSheetResult(stored, t)
        return show("binding-sheet", values, request, context)
    }

    /// Imports, keeps the result an hour and sends the browser to the page showing it.
    private func applyBindingSheet(_ admin: AdminIdentity, _ id: Int64, rows: [BindingSheet.Row], field: BindingSheet.Field,
                                   fileName: String) async throws -> Response
    {
        let plan = try await service.database.bindings.importBindingSheet(tenantId: admin.tenantId, enterpriseId: id, rows: rows, field: field,
                                                                          dryRun: false, by: admin.actor)
        let token = Passwords.token(bytes: 24)
        try await persist(StoredResult(tenantId: admin.tenantId, enterpriseId: id, field: field, fileName: fileName, dryRun: false, plan: plan),
                          "result", token, minutes: 60)
        return Self.seeOther("/console/enterprises/\(id)/binding-sheet?result=" + ConsoleFormat.component(token))
    }

    // MARK: page

    private func bindingSheetPage(_ admin: AdminIdentity, _ id: Int64, _ request: Request, entered: [String: String]) async throws
        -> PageValues
    {
        let t = strings(request)
        let enterprise = try await service.enterprise(admin, id: id)
        let selected = entered["field"]?.nilIfEmpty ?? Self.bindingSheetDefaultField.rawValue
        return [
            "enterprise": enterpriseRow(enterprise, t),
            "fields": Self.options(BindingSheet.Field.allCases.map { ($0.rawValue, t["bs_field_" + $0.rawValue] ?? $0.rawValue) },
                                   selected: selected),
            "columns": BindingSheet.columns.map(\.header),
            "valueHeader": BindingSheet.value.header,
            "unionHeader": BindingSheet.unionID.header,
        ]
    }

    private func bindingSheetResult(_ stored: StoredResult, _ t: Strings) -> PageValues {
        let suffix = stored.dryRun ? "_preview" : ""
        let counts = BindingSheet.Outcome.allCases.map { outcome -> PageValues in
            ["outcome": outcome.rawValue, "label": t["bs_outcome_\(outcome.rawValue)\(suffix)"] ?? t["bs_outcome_" + outcome.rawValue] ?? "",
             "count": stored.counts[outcome], "badge": Self.badge(outcome)]
        }
        let rows = stored.rows.map { row -> PageValues in
            var item: PageValues = ["line": row.line, "unionID": row.unionID, "value": row.value, "outcome": row.outcome.rawValue,
                                    "label": t["bs_outcome_\(row.outcome.rawValue)\(suffix)"] ?? t["bs_outcome_" + row.outcome.rawValue] ?? "",
                                    "badge": Self.badge(row.outcome), "message": ConsoleStrings.text(row.message, in: t)]
            item["oaUserID"] = row.oaUserID
            item["feishuName"] = row.feishuName
            item["oaName"] = row.oaName
            item["oaLoginID"] = row.oaLoginID
            item["oaHref"] = row.oaUserID.map(Self.oaUserHref)
            item["feishuHref"] = row.feishuName.map { _ in "/console/enterprises/\(stored.enterpriseId)/users/" + ConsoleFormat.component(row.unionID) }
            return item
        }
        var values: PageValues = ["dryRun": stored.dryRun, "fileName": stored.fileName, "fieldLabel": t["bs_field_" + stored.field.rawValue] ?? "",
                                  "total": stored.counts.rows, "counts": counts, "rows": rows, "hasRows": !rows.isEmpty,
                                  "bound": stored.counts.bound]
        let listed = stored.counts.rows - stored.counts.skipped
        if listed > rows.count {
            values["hidden"] = String(format: t["bs_rows_hidden"] ?? "%d", listed - rows.count)
        }
        values["upload"] = stored.upload
        return values
    }

    private static func badge(_ outcome: BindingSheet.Outcome) -> String {
        switch outcome {
        case .bound: "badge-ok"
        case .notFound: "badge-warning"
        case .conflict, .invalid: "badge-failed"
        case .alreadyBound, .skipped: ""
        }
    }

    // MARK: kept between requests

    /// An import's (or a preview's) result as the page shows it: the counts and the first rows that were not skipped.
    struct StoredResult: Codable, Sendable {
        var tenantId: Int64
        var enterpriseId: Int64
        var field: BindingSheet.Field
        var fileName: String
        var dryRun: Bool
        var counts: BindingSheet.Counts
        var rows: [BindingSheet.RowResult]
        /// The preview's rows, kept for "apply".
        var upload: String?

        init(tenantId: Int64, enterpriseId: Int64, field: BindingSheet.Field, fileName: String, dryRun: Bool, plan: BindingSheet.Plan) {
            self.tenantId = tenantId
            self.enterpriseId = enterpriseId
            self.field = field
            self.fileName = fileName
            self.dryRun = dryRun
            counts = plan.counts
            rows = Array(plan.rows.lazy.filter { $0.outcome != .skipped }.prefix(ConsoleController.bindingSheetShownRows))
        }
    }

    /// A previewed sheet's rows, until it is applied.
    struct StoredUpload: Codable, Sendable {
        var tenantId: Int64
        var enterpriseId: Int64
        var field: BindingSheet.Field
        var fileName: String
        var rows: [BindingSheet.Row]
    }

    /// Whose a kept value is.
    private struct StoredOwner: Decodable {
        var tenantId: Int64
        var enterpriseId: Int64
    }

    private static func persistKey(_ kind: String, _ token: String) -> String { "bindingSheet.\(kind).\(token)" }

    private func persist(_ value: some Encodable, _ kind: String, _ token: String, minutes: Int) async throws {
        try await service.database.admins.persist(key: Self.persistKey(kind, token), value: JSONEncoder().encode(value),
                                                  expiresAt: Date(timeIntervalSinceNow: Double(minutes * 60)), onlyIfAbsent: false, now: Date())
    }

    private func forget(_ kind: String, _ token: String) async throws {
        try await service.database.admins.removePersisted(key: Self.persistKey(kind, token))
    }

    /// A kept value, only for the admin's tenant and this enterprise.
    private func loadBindingSheet<Value: Decodable & Sendable>(_ type: Value.Type, _ kind: String, _ token: String, _ admin: AdminIdentity,
                                                               _ id: Int64) async throws -> Value?
    {
        guard !token.isEmpty, let entry = try await service.database.admins.persistedValue(key: Self.persistKey(kind, token), now: Date()) else { return nil }
        guard let owner = try? JSONDecoder().decode(StoredOwner.self, from: entry.value), owner.tenantId == admin.tenantId, owner.enterpriseId == id
        else { return nil }
        return try? JSONDecoder().decode(Value.self, from: entry.value)
    }
}

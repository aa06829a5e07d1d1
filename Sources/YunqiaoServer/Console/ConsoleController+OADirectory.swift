import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// OA 通讯录 (issue #6, the OA side): the OA directory kept in the bridge — counts, file import with every bad row shown,
/// the department tree, users with search and paging, a user's detail with their bindings and the embedded directory's
/// password — and the OA keys the OA pushes its directory with.
extension ConsoleController {

    func addOADirectoryRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("oa") { request, context in
            let admin = try context.admin()
            return show("oa-directory", try await oaDirectoryPage(admin, request, form: [:]), request, context)
        }
        routes.post("oa/import") { request, context in try await importOADirectory(request, context) }
        routes.get("oa/users/:oaID") { request, context in
            let admin = try context.admin()
            return show("oa-directory-user", try await oaUserPage(admin, context.pathComponent("oaID"), request), request, context)
        }
        routes.post("oa/users/:oaID/password") { request, context in
            let (admin, oaID) = (try context.admin(), try context.pathComponent("oaID"))
            let form = try await Self.form(request, context)
            do {
                let password = form["password"] ?? ""
                guard password == form["passwordConfirm"] ?? "" else {
                    throw APIError.invalid("passwordConfirm", "the two passwords differ")
                }
                try await service.oaDirectory.setPassword(admin, oaID: oaID, password: password)
                return Self.seeOther(Self.oaUserHref(oaID) + "?passwordSet=1")
            } catch {
                return try await rejected(error, request, context, [:], template: "oa-directory-user", labels: "oad_field_") { _ in
                    try await oaUserPage(admin, oaID, request)
                }
            }
        }
        routes.get("oa/keys") { request, context in
            var values = try await oaKeysPage(context.admin(), newKey: nil, form: [:])
            if request.uri.queryParameters.get("keyRevoked") != nil { values["notice"] = strings(request)["oad_key_revoked"] }
            return show("oa-directory-keys", values, request, context)
        }
        routes.post("oa/keys") { request, context in
            let admin = try context.admin()
            let form = try await Self.form(request, context)
            do {
                let created = try await service.oaDirectory.createKey(admin, name: form["name"] ?? "")
                return show("oa-directory-keys", try await oaKeysPage(admin, newKey: created, form: [:]), request, context, status: .created)
            } catch {
                return try await rejected(error, request, context, form.values, template: "oa-directory-keys", labels: "oad_field_") {
                    try await oaKeysPage(admin, newKey: nil, form: $0)
                }
            }
        }
        routes.post("oa/keys/:id/revoke") { request, context in
            try await service.oaDirectory.revokeKey(context.admin(), id: context.id("id"))
            return Self.seeOther("/console/oa/keys?keyRevoked=1")
        }
    }

    static func oaUserHref(_ oaID: String) -> String { "/console/oa/users/" + ConsoleFormat.component(oaID) }

    // MARK: import

    /// `POST /console/oa/import` (multipart: `sheet`, `mode`, `file`): applied → back to the page with the counts (303);
    /// a bad file → the page again (400) with every bad row, nothing applied.
    private func importOADirectory(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let admin = try context.admin()
        var request = request
        let body = try await request.collectBody(within: MultipartForm.maxBodySize)
        var entered: [String: String] = [:]
        do {
            let form: MultipartForm
            do {
                form = try MultipartForm(contentType: request.headers[.contentType], body: Data(body.readableBytesView))
            } catch {
                throw APIError.invalid("file", "choose a file to upload")
            }
            entered = ["sheet": form["sheet"] ?? "", "mode": form["mode"] ?? ""]
            guard let sheet = OADirectoryImport.Sheet(rawValue: form["sheet"] ?? "") else {
                throw APIError.invalid("sheet", "must be departments or users")
            }
            guard let mode = OADirectoryImportMode(rawValue: form["mode"]?.nilIfEmpty ?? "merge") else {
                throw APIError.invalid("mode", "must be merge or replace")
            }
            guard let file = form.files["file"], !file.fileName.isEmpty || !file.data.isEmpty else {
                throw APIError.invalid("file", "choose a file to upload")
            }
            guard let format = SpreadsheetReader.Format(fileName: file.fileName) ?? SpreadsheetReader.Format(contentType: file.contentType) else {
                throw APIError.invalid("file", "must be a .csv or .xlsx file")
            }
            switch try await service.oaDirectory.importSheet(admin, sheet: sheet, mode: mode, format: format, data: file.data) {
            case .applied(let result) where result.parked != nil:
                return Self.seeOther("/console/oa/safety?parked=1")
            case .applied(let result):
                return Self.seeOther("/console/oa" + ConsoleFormat.query([
                    "imported": sheet.rawValue, "created": "\(result.created)", "updated": "\(result.updated)",
                    "unchanged": "\(result.unchanged)", "left": "\(result.left)", "dropped": "\(result.deleted)",
                ]))
            case .rejected(let rejection):
                let t = strings(request)
                var values = try await oaDirectoryPage(admin, request, form: entered)
                values["importErrors"] = rejection.rows.map { row -> PageValues in
                    ["line": row.line, "message": ConsoleStrings.text(row.message, in: t), "column": row.column ?? false]
                }
                values["hasImportErrors"] = true
                values["importFile"] = file.fileName
                values["formError"] = String(format: t["oad_import_rejected"] ?? "%d", Set(rejection.rows.map(\.line)).count)
                return show("oa-directory", values, request, context, status: .badRequest)
            }
        } catch {
            return try await rejected(error, request, context, entered, template: "oa-directory", labels: "oad_field_") {
                try await oaDirectoryPage(admin, request, form: $0)
            }
        }
    }

    // MARK: pages

    /// Counts, the import form, the tree and one page of users (of the chosen department, matching the search).
    private func oaDirectoryPage(_ admin: AdminIdentity, _ request: Request, form: [String: String]) async throws -> PageValues {
        let t = strings(request)
        let query = request.uri.queryParameters
        let department = query.get("department")?.nilIfEmpty
        let search = query.get("q") ?? ""
        let (offset, size) = (ConsolePager.offset(query.get("offset")), ConsolePager.size(query.get("size")))
        let directory = service.oaDirectory
        let summary = try await directory.summary(admin)
        let tree = try await directory.departmentTree(admin)
        let names = try await directory.departmentNames(admin)
        let enterprises = try await service.enterprises(admin)
        let filter = Self.bindingFilter(query.get("binding"))
        let enterpriseId = query.get("enterprise").flatMap { Int64($0) }.flatMap { id in enterprises.contains { $0.id == id } ? id : nil }
        let page = try await directory.users(admin, query: search, department: department,
                                             binding: filter.map { BindingFilter(bound: $0, enterpriseId: enterpriseId) }, limit: size, offset: offset)
        let bindings = try await directory.bindings(admin, oaUserIDs: page.users.map(\.oaID))
        let enterpriseNames = Dictionary(enterprises.map { ($0.id, $0.name) }) { first, _ in first }
        let link = { (offset: Int, size: Int) in
            "/console/oa" + ConsoleFormat.query(["department": department, "q": search, "binding": filter.map { $0 ? "bound" : "unbound" },
                                                 "enterprise": enterpriseId.map { "\($0)" }, "offset": offset > 0 ? "\(offset)" : nil,
                                                 "size": size != ConsolePager.defaultSize ? "\(size)" : nil])
        }
        let sheet = form["sheet"]?.nilIfEmpty ?? "users"
        let mode = form["mode"]?.nilIfEmpty ?? "merge"
        var values: PageValues = [
            "summary": TemplateValue(summary), "hasTree": !tree.isEmpty, "tree": oaDepartmentItems(tree, current: department),
            "users": page.users.map { user in
                oaUserRow(user, names: names, t, bindings: (bindings[user.oaID] ?? []).map { entry -> PageValues in
                    let id = entry.binding.enterpriseId
                    var item: PageValues = ["feishuName": entry.feishuName ?? entry.binding.unionID,
                                            "href": "/console/enterprises/\(id)/users/" + ConsoleFormat.component(entry.binding.unionID)]
                    item["enterpriseName"] = enterprises.count > 1 ? enterpriseNames[id] ?? "\(id)" : nil
                    return item
                })
            },
            "q": search, "allCurrent": department == nil,
            "pager": ConsolePager(total: page.total, offset: offset, size: size)
                .values(id: "oa-page", countId: "oa-user-count", shown: page.users.count, t, link: link),
            "bindingOptions": Self.options([("", t["bd_filter_all"] ?? ""), ("bound", t["bd_filter_bound"] ?? ""),
                                            ("unbound", t["bd_filter_unbound"] ?? "")],
                                           selected: filter.map { $0 ? "bound" : "unbound" } ?? ""),
            "enterpriseOptions": Self.options([("", t["bd_filter_any_enterprise"] ?? "")] + enterprises.map { ("\($0.id)", $0.name) },
                                              selected: enterpriseId.map { "\($0)" } ?? ""),
            "severalEnterprises": enterprises.count > 1, "size": size != ConsolePager.defaultSize ? "\(size)" : "",
            "filtered": filter != nil,
            "sheets": Self.options(OADirectoryImport.Sheet.allCases.map { ($0.rawValue, t["oad_sheet_" + $0.rawValue] ?? $0.rawValue) },
                                   selected: sheet),
            "modes": OADirectoryImportMode.allCases.map { option -> PageValues in
                ["value": option.rawValue, "label": t["oad_mode_" + option.rawValue] ?? option.rawValue,
                 "help": t["oad_mode_help_" + option.rawValue] ?? "", "checked": option.rawValue == mode]
            },
        ]
        values["department"] = department
        values["departmentName"] = department.map { names[$0] ?? $0 }
        values["directoryEmpty"] = summary.activeUsers + summary.leftUsers == 0
        if let imported = query.get("imported"), OADirectoryImport.Sheet(rawValue: imported) != nil {
            // `dropped`, not `deleted`: that query key asks the layout for its "deleted" notice.
            let counts = [("created", "created"), ("updated", "updated"), ("unchanged", "unchanged"), ("left", "left"),
                          ("dropped", "deleted")].map { key, label -> String in
                (t["oad_count_" + label] ?? label) + " \(query.get(key).flatMap { Int($0) } ?? 0)"
            }
            values["notice"] = (t["oad_imported_" + imported] ?? imported) + (t["label_separator"] ?? ": ")
                + counts.joined(separator: t["list_separator"] ?? ", ")
        }
        return values
    }

    private func oaDepartmentItems(_ nodes: [OADirectoryService.DepartmentNode], current: String?) -> [PageValues] {
        nodes.map { node in
            var item: PageValues = [
                "name": node.name, "oaID": node.oaID, "userCount": node.userCount, "current": node.oaID == current,
                "href": "/console/oa?department=" + ConsoleFormat.component(node.oaID),
                "children": oaDepartmentItems(node.children, current: current), "hasChildren": !node.children.isEmpty,
            ]
            item["subcompany"] = node.subcompany ?? false
            return item
        }
    }

    private func oaUserRow(_ user: OAUserRecord, names: [String: String], _ t: Strings, bindings: [PageValues] = []) -> TemplateValue {
        let departments = user.departmentIDs
        var extra: PageValues = [
            "href": Self.oaUserHref(user.oaID), "statusLabel": t["oad_status_" + user.status] ?? user.status,
            "hasPassword": user.passwordHash != nil, "bindings": bindings, "bound": !bindings.isEmpty,
        ]
        // Only users with part-time departments get the 兼职 line (an empty string would still open the section).
        let partTime = departments.dropFirst().map { names[$0] ?? $0 }
        extra["partTimeNames"] = partTime.isEmpty ? false : partTime.joined(separator: t["list_separator"] ?? ", ")
        extra["primaryName"] = departments.first.map { names[$0] ?? $0 } ?? false
        // The record's hash never reaches a template.
        extra["passwordHash"] = false
        return TemplateValue(user, extra)
    }

    /// An OA user: fields, departments (primary / part-time), the binding in each enterprise and the password form.
    private func oaUserPage(_ admin: AdminIdentity, _ oaID: String, _ request: Request) async throws -> PageValues {
        let t = strings(request)
        let directory = service.oaDirectory
        let user = try await directory.user(admin, oaID: oaID)
        let names = try await directory.departmentNames(admin)
        let departments = user.departmentIDs.enumerated().map { index, id -> PageValues in
            ["oaID": id, "name": names[id] ?? id, "known": names[id] != nil, "primary": index == 0,
             "href": "/console/oa?department=" + ConsoleFormat.component(id)]
        }
        let bindings = try await directory.bindings(admin, oaID: oaID).map { enterprise, entry -> PageValues in
            let id = enterprise.id ?? 0
            var item: PageValues = ["enterpriseName": enterprise.name, "enterpriseHref": "/console/enterprises/\(id)", "binding": false,
                                    "bindingsHref": "/console/enterprises/\(id)/bindings", "enterpriseId": id]
            if let entry {
                item["binding"] = bindingRow(BindingAdmin.view(entry), enterpriseId: id, t)
            }
            return item
        }
        var values: PageValues = ["user": oaUserRow(user, names: names, t), "departments": departments, "bindings": bindings,
                                  "hasEnterprises": !bindings.isEmpty, "minPassword": OADirectoryService.minPasswordLength]
        if request.uri.queryParameters.get("passwordSet") != nil { values["notice"] = t["oad_password_saved"] }
        return values
    }

    /// The keys; `newKey` (just created) is the only time a key's value is shown.
    private func oaKeysPage(_ admin: AdminIdentity, newKey: (record: OAKeyRecord, key: String)?, form: [String: String]) async throws
        -> PageValues
    {
        let keys = try await service.oaDirectory.keys(admin).map { record in
            TemplateValue(record, ["hint": "••••" + record.hint, "keyHash": false])
        }
        var values: PageValues = ["keys": keys, "form": form]
        if let newKey { values["newKey"] = ["name": newKey.record.name, "key": newKey.key] }
        return values
    }
}

extension OAUserRecord {
    /// The user's departments: the primary one first, part-time ones after.
    var departmentIDs: [String] { (try? JSONDecoder().decode([String].self, from: Data(departmentOaIDs.utf8))) ?? [] }
}

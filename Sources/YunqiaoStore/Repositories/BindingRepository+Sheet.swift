import Foundation
import GRDB
import YunqiaoCore

/// What the sheet's plan reads, kept for writing its bindings.
struct BindingSheetInputs {
    /// Live Feishu users: union_id → name.
    var feishu: [String: String] = [:]
    var ids: [String: (openID: String?, userID: String?)] = [:]
    var oaNames: [String: String] = [:]
}

/// The association sheet (关联导入): the export of an enterprise's Feishu users and the import of the filled sheet.
extension BindingRepository {
    /// One page of the export: live Feishu users of the enterprise by name then union_id, after `cursor`, with their
    /// departments' names (primary first) and the login id of the OA user each is bound to. Paging by key keeps a
    /// 100 000-user export to one page in memory at a time.
    public func bindingSheetPage(tenantId: Int64, enterpriseId: Int64, after cursor: BindingSheetCursor?, limit: Int) async throws
        -> [BindingSheet.ExportRow]
    {
        try await read { db in
            _ = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            var page = "FROM feishuUser u WHERE u.enterpriseId = ? AND u.deletedAt IS NULL"
            var arguments: StatementArguments = [enterpriseId]
            if let cursor {
                page += " AND (u.name, u.unionID) > (?, ?)"
                arguments += [cursor.name, cursor.unionID]
            }
            page += " ORDER BY u.name, u.unionID LIMIT ?"
            arguments += [max(1, limit)]
            var rows: [BindingSheet.ExportRow] = []
            rows.reserveCapacity(limit)
            var position: [String: Int] = [:]
            let users = try Row.fetchCursor(db, sql: """
                SELECT u.unionID, u.name, u.mobile, u.email, u.employeeNo, u.userID, COALESCE(o.loginID, b.oaUserID) AS bound
                FROM (SELECT u.* \(page)) u
                LEFT JOIN binding b ON b.enterpriseId = u.enterpriseId AND b.unionID = u.unionID
                LEFT JOIN oaUser o ON o.tenantId = ? AND o.oaID = b.oaUserID
                ORDER BY u.name, u.unionID
                """, arguments: arguments + [tenantId])
            while let row = try users.next() {
                position[row["unionID"]] = rows.count
                rows.append(BindingSheet.ExportRow(unionID: row["unionID"], name: row["name"], mobile: row["mobile"], email: row["email"],
                                                   employeeNo: row["employeeNo"], userID: row["userID"], boundLoginID: row["bound"]))
            }
            guard !rows.isEmpty else { return rows }
            let departments = try Row.fetchCursor(db, sql: """
                SELECT m.unionID, d.name FROM feishuUserDepartment m
                JOIN feishuDepartment d ON d.enterpriseId = m.enterpriseId AND d.openDepartmentID = m.openDepartmentID
                WHERE m.enterpriseId = ? AND m.unionID IN (SELECT u.unionID \(page))
                ORDER BY m.unionID, m.position
                """, arguments: [enterpriseId] + arguments)
            while let row = try departments.next() {
                if let index = position[row["unionID"]] { rows[index].departments.append(row["name"]) }
            }
            return rows
        }
    }

    /// Imports a filled sheet: plans every row with ``BindingSheet/plan(_:field:feishu:oa:bound:)`` against the live
    /// mirror, the tenant's OA users and the enterprise's bindings, then — unless `dryRun` — writes the `bound` rows
    /// as bindings (method `import`, the field recorded) in one transaction, each audited as `binding.bind` like a bind
    /// on the user card, plus one `binding.import` summary. The plan is made inside that transaction, so what it says
    /// is what was written. A dry run only reads.
    public func importBindingSheet(tenantId: Int64, enterpriseId: Int64, rows: [BindingSheet.Row], field: BindingSheet.Field,
                                   dryRun: Bool, by actor: AuditActor) async throws -> BindingSheet.Plan
    {
        if dryRun {
            return try await read { db in
                _ = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
                return try Self.bindingSheetPlan(db, tenantId: tenantId, enterpriseId: enterpriseId, rows: rows, field: field).plan
            }
        }
        return try await write { db in
            let enterprise = try Self.enterprise(db, tenantId: tenantId, id: enterpriseId)
            let (plan, inputs) = try Self.bindingSheetPlan(db, tenantId: tenantId, enterpriseId: enterpriseId, rows: rows, field: field)
            let now = Date()
            for (unionID, oaUserID) in plan.bindings {
                let ids = inputs.ids[unionID]
                let binding = BindingRecord(enterpriseId: enterpriseId, oaUserID: oaUserID, unionID: unionID, openID: ids?.openID,
                                            userID: ids?.userID, method: "import", field: field.rawValue, createdBy: actor.name,
                                            createdAt: now)
                let oaName = inputs.oaNames[oaUserID] ?? oaUserID
                let feishuName = inputs.feishu[unionID].flatMap { $0.isEmpty ? nil : $0 } ?? unionID
                try Self.record(db, binding, tenantId: tenantId, actor: actor, target: "\(enterprise.auditTarget): \(oaName) ⇄ \(feishuName)")
            }
            var summary = ["field": field.rawValue]
            summary["rows"] = "\(plan.counts.rows)"
            for outcome in BindingSheet.Outcome.allCases { summary[outcome.rawValue] = "\(plan.counts[outcome])" }
            try Self.audit(db, tenantId: tenantId, actor, "binding.import", target: enterprise.auditTarget, before: nil, after: summary)
            return plan
        }
    }
}

extension StoreRepository {
    static func bindingSheetPlan(_ db: Database, tenantId: Int64, enterpriseId: Int64, rows: [BindingSheet.Row], field: BindingSheet.Field)
        throws -> (plan: BindingSheet.Plan, inputs: BindingSheetInputs)
    {
        var inputs = BindingSheetInputs()
        let users = try Row.fetchCursor(db, sql: """
            SELECT unionID, openID, userID, name FROM feishuUser WHERE enterpriseId = ? AND deletedAt IS NULL
            """, arguments: [enterpriseId])
        while let row = try users.next() {
            let unionID: String = row["unionID"]
            inputs.feishu[unionID] = row["name"]
            inputs.ids[unionID] = (row["openID"], row["userID"])
        }
        var oa: [BindingSheet.OAUser] = []
        let oaUsers = try Row.fetchCursor(db, sql: """
            SELECT oaID, loginID, name, mobile, email, employeeNo, status FROM oaUser WHERE tenantId = ?
            """, arguments: [tenantId])
        while let row = try oaUsers.next() {
            let user = BindingSheet.OAUser(oaID: row["oaID"], loginID: row["loginID"], name: row["name"], mobile: row["mobile"],
                                           email: row["email"], employeeNo: row["employeeNo"], active: (row["status"] as String?) == "active")
            inputs.oaNames[user.oaID] = user.name
            oa.append(user)
        }
        var bound: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT unionID, oaUserID FROM binding WHERE enterpriseId = ?", arguments: [enterpriseId]) {
            bound[row["unionID"]] = row["oaUserID"]
        }
        return (BindingSheet.plan(rows, field: field, feishu: inputs.feishu, oa: oa, bound: bound), inputs)
    }
}

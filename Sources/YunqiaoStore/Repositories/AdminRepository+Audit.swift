import Foundation
import GRDB
import YunqiaoCore

extension AdminRepository {
    /// Records an admin action that changes no settings row (a sync started, a credentials test, a login).
    public func audit(tenantId: Int64, _ actor: AuditActor, _ action: String, target: String,
                      details: [String: String]? = nil) async throws
    {
        try await write { db in try Self.audit(db, tenantId: tenantId, actor, action, target: target, before: nil, after: details) }
    }

    /// Audit entries, newest first.
    public func auditLog(tenantId: Int64, filter: AuditFilter = AuditFilter()) async throws -> [AuditRecord] {
        try await read { db in
            var request = AuditRecord.filter(AuditRecord.Columns.tenantId == tenantId)
            if let actor = filter.actor?.nilIfBlank { request = request.filter(AuditRecord.Columns.actor == actor) }
            if let action = filter.action?.nilIfBlank { request = request.filter(AuditRecord.Columns.action.like("\(Self.escapeLike(action))%", escape: "\\")) }
            if let text = filter.text?.nilIfBlank {
                let pattern = "%\(Self.escapeLike(text))%"
                request = request.filter(AuditRecord.Columns.target.like(pattern, escape: "\\") || AuditRecord.Columns.before.like(pattern, escape: "\\")
                    || AuditRecord.Columns.after.like(pattern, escape: "\\"))
            }
            if let since = filter.since { request = request.filter(AuditRecord.Columns.at >= since) }
            if let until = filter.until { request = request.filter(AuditRecord.Columns.at < until) }
            if let beforeId = filter.beforeId { request = request.filter(AuditRecord.Columns.id < beforeId) }
            return try request.order(AuditRecord.Columns.id.desc).limit(max(1, min(filter.limit, 500))).fetchAll(db)
        }
    }

}

extension StoreRepository {
    /// Writes an audit entry inside the caller's transaction: the change and its entry land together or not at all.
    static func audit(_ db: Database, tenantId: Int64, _ actor: AuditActor, _ action: String, target: String,
                      before: [String: String]?, after: [String: String]?) throws
    {
        var entry = AuditRecord(id: nil, tenantId: tenantId, actor: actor.name, action: action, target: target,
                                before: before.map(json), after: after.map(json), at: Date())
        try entry.insert(db)
    }

    fileprivate static func json(_ view: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(view), as: UTF8.self)) ?? "{}"
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

extension String {
    var nilIfBlank: String? { trimmingCharacters(in: .whitespaces).isEmpty ? nil : trimmingCharacters(in: .whitespaces) }
}

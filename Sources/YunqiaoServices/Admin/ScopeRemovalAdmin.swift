import Foundation
import YunqiaoCore

/// The administrator's side of contact events (issue #15), shared by the admin API and the console: an app's events
/// channel, and the users and departments that left an app's contact scope, kept or removed on the administrator's word.
public struct ScopeRemovalAdmin: Sendable {
    public let database: any BridgeStore

    public init(database: any BridgeStore) {
        self.database = database
    }

    public enum Decision: String, Sendable { case keep, remove }

    /// The enterprise's removals, pending ones only unless `all`.
    public func removals(_ admin: AdminIdentity, enterpriseId: Int64, all: Bool) async throws -> (enterprise: EnterpriseRecord, items: [ScopeRemovalRecord]) {
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return (enterprise, try await database.directoryEvents.scopeRemovals(enterpriseId: enterpriseId, pendingOnly: !all))
    }

    /// Keeps or removes pending removals (others are skipped); audited as `directory.scopeRemoval` when any is decided.
    public func decide(_ admin: AdminIdentity, enterpriseId: Int64, ids: [Int64], decision: String) async throws -> [ScopeRemovalRecord] {
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        guard let decision = Decision(rawValue: decision) else { throw YunqiaoError.invalid(field: "decision", message: "must be keep or remove") }
        guard !ids.isEmpty, ids.count <= 1000 else { throw YunqiaoError.invalid(field: "ids", message: "1 to 1000 ids of pending removals") }
        let decided = try await database.directoryEvents.decideScopeRemovals(enterpriseId: enterpriseId, ids: ids, remove: decision == .remove,
                                                                            by: admin.name, at: Date())
        if !decided.isEmpty {
            try await database.admins.audit(tenantId: admin.tenantId, admin.actor, "directory.scopeRemoval",
                                            target: "enterprise \(enterpriseId) \(enterprise.name)",
                                            details: ["decision": decision.rawValue, "count": String(decided.count),
                                                      "names": decided.prefix(20).map(\.name).joined(separator: "、")])
        }
        return decided
    }

    /// An app's events channel: its event request URL (nil without an external domain) and what it received.
    public func channel(_ admin: AdminIdentity, appId: Int64) async throws -> (eventURL: String?, summary: EventChannelSummary) {
        let found = try await database.integration.app(id: appId)
        guard found.enterprise.tenantId == admin.tenantId else { throw YunqiaoError.notFound("app \(appId)") }
        let domain = try await database.integration.externalDomain(tenantId: admin.tenantId)
        return (domain.map { "\($0)/feishu/apps/\(appId)/events" }, try await database.directoryEvents.channelSummary(appId: appId))
    }
}

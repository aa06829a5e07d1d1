import FeishuKit
import Foundation
import YunqiaoCore

/// The administrator's side of contact events (issue #15), shared by the admin API and the console: an app's events
/// channel, and the users and departments that left an app's contact scope, kept or removed on the administrator's word.
public struct DirectoryEventsAdmin: Sendable {
    public let database: any BridgeStore
    /// The long connections (their status; woken when an app's channel changes).
    public let longConnections: LongConnections?

    public init(database: any BridgeStore, longConnections: LongConnections? = nil) {
        self.database = database
        self.longConnections = longConnections
    }

    /// An app's events channel as the admin sees it.
    public struct Channel: Sendable, Codable, Equatable {
        /// The 事件请求网址 to paste into Feishu, or nil without an external domain.
        public var eventURL: String?
        /// `http` (the request URL) or `websocket` (the long connection the bridge opens).
        public var channel: String
        public var received: Int
        public var pending: Int
        public var failed: Int
        public var lastReceivedAt: Date?
        public var lastChannel: String?
        /// The long connection, while the bridge holds one for the app.
        public var connection: FeishuLongConnection.Status?
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

    /// An app's events channel: its request URL (nil without an external domain), how it receives events, what it
    /// received, and its long connection.
    public func channel(_ admin: AdminIdentity, appId: Int64) async throws -> Channel {
        let found = try await database.integration.app(id: appId)
        guard found.enterprise.tenantId == admin.tenantId else { throw YunqiaoError.notFound("app \(appId)") }
        let domain = try await database.integration.externalDomain(tenantId: admin.tenantId)
        let summary = try await database.directoryEvents.channelSummary(appId: appId)
        return Channel(eventURL: domain.map { "\($0)/feishu/apps/\(appId)/events" }, channel: try await database.directoryEvents.eventChannel(appId: appId),
                       received: summary.received, pending: summary.pending, failed: summary.failed, lastReceivedAt: summary.lastReceivedAt,
                       lastChannel: summary.lastChannel, connection: longConnections?.status(appId: appId))
    }

    /// Sets how the app receives events (audited as `app.eventChannel`); the long connection opens or closes at once.
    public func setChannel(_ admin: AdminIdentity, appId: Int64, channel: String) async throws -> Channel {
        let found = try await database.integration.app(id: appId)
        guard found.enterprise.tenantId == admin.tenantId else { throw YunqiaoError.notFound("app \(appId)") }
        guard ["http", "websocket"].contains(channel) else {
            throw YunqiaoError.invalid(field: "channel", message: "must be http (the event request URL) or websocket (the long connection)")
        }
        let before = try await database.directoryEvents.eventChannel(appId: appId)
        if before != channel {
            try await database.directoryEvents.setEventChannel(appId: appId, channel, at: Date())
            try await database.admins.audit(tenantId: admin.tenantId, admin.actor, "app.eventChannel",
                                            target: "app \(appId) \(found.app.appID)", details: ["eventChannel": channel])
            longConnections?.wake()
        }
        return try await self.channel(admin, appId: appId)
    }
}

import Foundation
import YunqiaoCore

public struct BindingView: Codable, Sendable, Equatable {
    public var oaUserID: String
    public var unionID: String
    public var openID: String?
    public var userID: String?
    /// `manual`, `auto`, `import` or `card`.
    public var method: String
    /// The field an automatic binding matched by.
    public var field: String?
    public var createdBy: String
    public var createdAt: Date
    /// The OA user's name and login id (nil when the OA user is gone).
    public var oaName: String?
    public var oaLoginID: String?
    /// The Feishu user's name in the mirror (nil when the mirror does not hold them).
    public var feishuName: String?
}

/// One page of an enterprise's bindings.
public struct BindingPage: Codable, Sendable, Equatable {
    public var bindings: [BindingView]
    public var total: Int
    public var limit: Int
    public var offset: Int
}

/// A conflict with the Feishu user's name and its candidate OA users as they are now.
public struct BindingConflictDetail: Sendable, Equatable {
    public var conflict: BindingConflictView
    public var feishuName: String?
    public var candidates: [BindingConflictEntry.Candidate]
}

public struct BindingConflictView: Codable, Sendable, Equatable {
    /// `ambiguous` (several OA users have the value), `alreadyBound` (the OA user is bound to someone else) or
    /// `contested` (several Feishu users match the same OA user).
    public var kind: String
    public var unionID: String
    public var field: String
    public var value: String
    public var oaUserIDs: [String]
    public var createdAt: Date
}

public struct AutoBindResultView: Codable, Sendable, Equatable {
    public var bound: Int
    public var conflicts: Int
    public var unmatched: Int
    public var byField: [String: Int]
}

public struct BindInput: Codable, Sendable {
    public var oaUserID: String
    public var unionID: String

    public init(oaUserID: String, unionID: String) {
        self.oaUserID = oaUserID
        self.unionID = unionID
    }
}


/// Bindings of OA users to Feishu users (seed 4.2.4), for the admin API and the console: settings of auto-bind, a pass
/// on demand, the conflict queue, bind / unbind on the user card and batch unbind (``AdminService/binding``).
public struct BindingAdmin: Sendable {
    public let database: any BridgeStore

    public init(database: any BridgeStore) {
        self.database = database
    }

    /// Every binding of an enterprise with names; `query` matches OA name, login id, oa id or Feishu name.
    public func bindings(_ admin: AdminIdentity, enterpriseId: Int64, query: String = "") async throws -> [BindingView] {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return try await database.bindings.bindingEntries(enterpriseId: enterpriseId, query: query, method: nil, limit: nil, offset: 0).entries.map(Self.view)
    }

    /// A page of an enterprise's bindings, by OA user name; `method` keeps one method.
    public func bindingPage(_ admin: AdminIdentity, enterpriseId: Int64, query: String, method: String?, limit: Int,
                            offset: Int) async throws -> BindingPage
    {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let limit = max(1, min(limit, 200)), offset = max(0, offset)
        let (total, entries) = try await database.bindings.bindingEntries(enterpriseId: enterpriseId, query: query, method: method, limit: limit,
                                                                          offset: offset)
        return BindingPage(bindings: entries.map(Self.view), total: total, limit: limit, offset: offset)
    }

    /// The binding of a Feishu user (by union_id), or nil.
    public func binding(_ admin: AdminIdentity, enterpriseId: Int64, unionID: String) async throws -> BindingView? {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return try await database.bindings.bindingEntry(enterpriseId: enterpriseId, unionID: unionID).map(Self.view)
    }

    /// A page of the conflict queue with names and candidates.
    public func bindingConflictPage(_ admin: AdminIdentity, enterpriseId: Int64, limit: Int, offset: Int) async throws
        -> (total: Int, conflicts: [BindingConflictDetail])
    {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        let (total, entries) = try await database.bindings.bindingConflictEntries(enterpriseId: enterpriseId, limit: max(1, min(limit, 200)),
                                                                                  offset: max(0, offset))
        return (total, entries.map { entry in
            BindingConflictDetail(conflict: Self.view(entry.conflict), feishuName: entry.feishuName, candidates: entry.candidates)
        })
    }

    /// Takes a Feishu user off the conflict queue without binding them (audited).
    public func dismissBindingConflict(_ admin: AdminIdentity, enterpriseId: Int64, unionID: String) async throws {
        try await database.bindings.dismissBindingConflict(tenantId: admin.tenantId, enterpriseId: enterpriseId, unionID: unionID, by: admin.actor)
    }

    public func bindingConflicts(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> [BindingConflictView] {
        _ = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return try await database.bindings.bindingConflicts(enterpriseId: enterpriseId).map(Self.view)
    }

    static func view(_ record: BindingConflictRecord) -> BindingConflictView {
        BindingConflictView(kind: record.kind, unionID: record.unionID, field: record.field, value: record.value,
                            oaUserIDs: (try? JSONDecoder().decode([String].self, from: Data(record.oaUserIDs.utf8))) ?? [],
                            createdAt: record.createdAt)
    }

    public func bindingSettings(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> BindingSettings {
        try await database.bindings.bindingSettings(tenantId: admin.tenantId, enterpriseId: enterpriseId)
    }

    public func setBindingSettings(_ admin: AdminIdentity, enterpriseId: Int64, _ settings: BindingSettings) async throws
        -> BindingSettings
    {
        try await database.bindings.setBindingSettings(tenantId: admin.tenantId, enterpriseId: enterpriseId, settings, by: admin.actor)
    }

    /// An auto-bind pass now, with the enterprise's fields.
    public func autoBind(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> AutoBindResultView {
        let settings = try await database.bindings.bindingSettings(tenantId: admin.tenantId, enterpriseId: enterpriseId)
        return Self.view(try await database.bindings.autoBind(tenantId: admin.tenantId, enterpriseId: enterpriseId, fields: settings.fields,
                                                              by: admin.actor, at: Date()))
    }

    public func bind(_ admin: AdminIdentity, enterpriseId: Int64, _ input: BindInput) async throws -> BindingView {
        Self.view(try await database.bindings.bind(tenantId: admin.tenantId, enterpriseId: enterpriseId, oaUserID: input.oaUserID,
                                                   unionID: input.unionID, method: "card", field: nil, signedIn: nil, by: admin.actor))
    }

    public func unbind(_ admin: AdminIdentity, enterpriseId: Int64, oaUserID: String) async throws {
        try await database.bindings.unbind(tenantId: admin.tenantId, enterpriseId: enterpriseId, oaUserID: oaUserID, by: admin.actor)
    }

    public func unbindAll(_ admin: AdminIdentity, enterpriseId: Int64, confirm: String) async throws -> Int {
        let enterprise = try await database.integration.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        guard confirm == enterprise.name else {
            throw YunqiaoError.invalid(field: "confirm", message: "type the enterprise's name to confirm")
        }
        return try await database.bindings.unbindAll(tenantId: admin.tenantId, enterpriseId: enterpriseId, by: admin.actor)
    }

    static func view(_ record: BindingRecord) -> BindingView {
        BindingView(oaUserID: record.oaUserID, unionID: record.unionID, openID: record.openID, userID: record.userID, method: record.method,
                    field: record.field, createdBy: record.createdBy, createdAt: record.createdAt)
    }

    public static func view(_ entry: BindingEntry) -> BindingView {
        var view = view(entry.binding)
        view.oaName = entry.oaName
        view.oaLoginID = entry.oaLoginID
        view.feishuName = entry.feishuName
        return view
    }

    static func view(_ result: AutoBindResult) -> AutoBindResultView {
        AutoBindResultView(bound: result.bound, conflicts: result.conflicts, unmatched: result.unmatched,
                           byField: Dictionary(uniqueKeysWithValues: result.byField.map { ($0.key.rawValue, $0.value) }))
    }
}

extension AdminService {
    /// The binding use cases.
    public var binding: BindingAdmin { BindingAdmin(database: database) }
}

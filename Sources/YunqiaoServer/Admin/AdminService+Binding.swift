import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoStore

public struct BindingView: Codable, Sendable, Equatable, ResponseEncodable {
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

public struct AutoBindResultView: Codable, Sendable, Equatable, ResponseEncodable {
    public var bound: Int
    public var conflicts: Int
    public var unmatched: Int
    public var byField: [String: Int]
}

public struct BindInput: Codable, Sendable {
    public var oaUserID: String
    public var unionID: String
}

extension YunqiaoDatabase.BindingSettings: ResponseEncodable {}

/// Bindings of OA users to Feishu users (seed 4.2.4): settings of auto-bind, a pass on demand, the conflict queue,
/// bind / unbind on the user card and batch unbind.
extension AdminService {
    public func bindings(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> [BindingView] {
        _ = try await database.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return try await database.bindings(enterpriseId: enterpriseId).map(Self.view)
    }

    public func bindingConflicts(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> [BindingConflictView] {
        _ = try await database.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        return try await database.bindingConflicts(enterpriseId: enterpriseId).map { record in
            BindingConflictView(kind: record.kind, unionID: record.unionID, field: record.field, value: record.value,
                                oaUserIDs: (try? JSONDecoder().decode([String].self, from: Data(record.oaUserIDs.utf8))) ?? [],
                                createdAt: record.createdAt)
        }
    }

    public func bindingSettings(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> YunqiaoDatabase.BindingSettings {
        try await database.bindingSettings(tenantId: admin.tenantId, enterpriseId: enterpriseId)
    }

    public func setBindingSettings(_ admin: AdminIdentity, enterpriseId: Int64, _ settings: YunqiaoDatabase.BindingSettings) async throws
        -> YunqiaoDatabase.BindingSettings
    {
        try await database.setBindingSettings(tenantId: admin.tenantId, enterpriseId: enterpriseId, settings, by: admin.actor)
    }

    /// An auto-bind pass now, with the enterprise's fields.
    public func autoBind(_ admin: AdminIdentity, enterpriseId: Int64) async throws -> AutoBindResultView {
        let settings = try await database.bindingSettings(tenantId: admin.tenantId, enterpriseId: enterpriseId)
        return Self.view(try await database.autoBind(tenantId: admin.tenantId, enterpriseId: enterpriseId, fields: settings.fields,
                                                     by: admin.actor))
    }

    public func bind(_ admin: AdminIdentity, enterpriseId: Int64, _ input: BindInput) async throws -> BindingView {
        Self.view(try await database.bind(tenantId: admin.tenantId, enterpriseId: enterpriseId, oaUserID: input.oaUserID,
                                          unionID: input.unionID, method: "card", by: admin.actor))
    }

    public func unbind(_ admin: AdminIdentity, enterpriseId: Int64, oaUserID: String) async throws {
        try await database.unbind(tenantId: admin.tenantId, enterpriseId: enterpriseId, oaUserID: oaUserID, by: admin.actor)
    }

    public func unbindAll(_ admin: AdminIdentity, enterpriseId: Int64, confirm: String) async throws -> Int {
        let enterprise = try await database.enterprise(tenantId: admin.tenantId, id: enterpriseId)
        guard confirm == enterprise.name else {
            throw YunqiaoDatabase.StoreError.invalid(field: "confirm", message: "type the enterprise's name to confirm")
        }
        return try await database.unbindAll(tenantId: admin.tenantId, enterpriseId: enterpriseId, by: admin.actor)
    }

    static func view(_ record: BindingRecord) -> BindingView {
        BindingView(oaUserID: record.oaUserID, unionID: record.unionID, openID: record.openID, userID: record.userID, method: record.method,
                    field: record.field, createdBy: record.createdBy, createdAt: record.createdAt)
    }

    static func view(_ result: YunqiaoDatabase.AutoBindResult) -> AutoBindResultView {
        AutoBindResultView(bound: result.bound, conflicts: result.conflicts, unmatched: result.unmatched,
                           byField: Dictionary(uniqueKeysWithValues: result.byField.map { ($0.key.rawValue, $0.value) }))
    }
}

import Foundation
import GRDB
import YunqiaoCore

/// A Feishu user as a login vouched for them (`user_info`), for binding one the mirror does not hold yet.
public struct SignedInFeishuUser: Codable, Sendable, Equatable {
    public var openID: String?
    public var userID: String?
    public var name: String

    public init(openID: String?, userID: String?, name: String) {
        self.openID = openID
        self.userID = userID
        self.name = name
    }
}

/// Reads of the first-visit flow (issue #6): a Feishu user opens an app's homepage, signs in with Feishu and, when not
/// bound yet, binds their OA account.
extension YunqiaoDatabase {
    /// An app by its id, whatever its tenant (the homepage and callback URLs carry only the id), with its enterprise.
    public func app(id: Int64) async throws -> (app: AppRecord, enterprise: EnterpriseRecord) {
        try await read { db in
            guard let app = try AppRecord.fetchOne(db, key: id), let enterprise = try EnterpriseRecord.fetchOne(db, key: app.enterpriseId)
            else { throw StoreError.notFound("app \(id)") }
            return (app, enterprise)
        }
    }

    /// The OA user who logs in as `loginID` in the tenant.
    public func oaUser(tenantId: Int64, loginID: String) async throws -> OAUserRecord? {
        try await read { db in
            try OAUserRecord.filter(Column("tenantId") == tenantId && Column("loginID") == loginID).fetchOne(db)
        }
    }

    /// The OA user with the OA id `oaID` in the tenant.
    public func oaUser(tenantId: Int64, oaID: String) async throws -> OAUserRecord? {
        try await read { db in try OAUserRecord.fetchOne(db, key: ["tenantId": tenantId, "oaID": oaID]) }
    }

    /// The binding of a Feishu user (by union_id) in an enterprise.
    public func binding(enterpriseId: Int64, unionID: String) async throws -> BindingRecord? {
        try await read { db in
            try BindingRecord.filter(Column("enterpriseId") == enterpriseId && Column("unionID") == unionID).fetchOne(db)
        }
    }

    /// Reads and removes a key/value entry in one transaction: a live value is handed out once only (one-time tokens).
    /// An expired entry is removed and answers nil.
    public func takePersisted(key: String, now: Date = Date()) async throws -> Data? {
        try await write { db in
            guard let entry = try PersistEntryRecord.fetchOne(db, key: key) else { return nil }
            _ = try entry.delete(db)
            if let expiresAt = entry.expiresAt, expiresAt <= now { return nil }
            return entry.value
        }
    }
}

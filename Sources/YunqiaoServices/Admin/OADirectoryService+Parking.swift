import Foundation
import YunqiaoCore

/// The OA directory's safety net for admins: the user-decrease threshold and the changes it parked.
extension OADirectoryService {
    public func threshold(_ admin: AdminIdentity) async throws -> DecreaseThreshold {
        try await database.oaDirectory.decreaseThreshold(tenantId: admin.tenantId)
    }

    public func setThreshold(_ admin: AdminIdentity, _ threshold: DecreaseThreshold) async throws -> DecreaseThreshold {
        try await database.oaDirectory.setDecreaseThreshold(tenantId: admin.tenantId, threshold, by: admin.actor)
    }

    /// The waiting parked changes and the last decided ones, newest first.
    public func parkedChanges(_ admin: AdminIdentity) async throws -> [ParkedChangeSummary] {
        try await database.oaDirectory.parkedChanges(tenantId: admin.tenantId, limit: 20).map(ParkedChangeSummary.init)
    }

    /// Applies a waiting parked change as it came (the admin has seen how many users it makes leave).
    public func applyParked(_ admin: AdminIdentity, id: Int64) async throws -> AppliedImport {
        AppliedImport(try await database.oaDirectory.applyParkedChange(tenantId: admin.tenantId, id: id, by: admin.actor, at: Date()))
    }

    public func discardParked(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.oaDirectory.discardParkedChange(tenantId: admin.tenantId, id: id, by: admin.actor, at: Date())
    }
}

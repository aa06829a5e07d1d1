import Foundation
import GRDB
import YunqiaoCore

extension ApprovalDefinitionRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "approvalDefinition"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

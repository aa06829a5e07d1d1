import Foundation
import GRDB
import YunqiaoCore

extension ApprovalInstanceRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "approvalInstance"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

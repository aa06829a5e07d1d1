import Foundation
import GRDB
import YunqiaoCore

extension ApprovalTaskRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "approvalTask"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

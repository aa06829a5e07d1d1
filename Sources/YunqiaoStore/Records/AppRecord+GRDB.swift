import Foundation
import GRDB
import YunqiaoCore

extension AppRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "app"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AppRecord {
    /// The columns, for requests (`AppRecord.Columns.id`).
    public enum Columns {
        public static let id = Column("id")
        public static let enterpriseId = Column("enterpriseId")
        public static let name = Column("name")
        public static let appID = Column("appID")
        public static let sealedSecret = Column("sealedSecret")
        public static let createdAt = Column("createdAt")
        public static let updatedAt = Column("updatedAt")
        public static let homepageAppId = Column("homepageAppId")
        public static let homepageURL = Column("homepageURL")
        public static let sealedVerificationToken = Column("sealedVerificationToken")
        public static let sealedEncryptKey = Column("sealedEncryptKey")
    }
}

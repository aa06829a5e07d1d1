import Foundation
import GRDB
import YunqiaoCore

/// An OA app that can be a Feishu app's homepage (seed: 应用中心已经存在的主页型应用).
public struct HomepageAppRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "homepageApp"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    /// An absolute http(s) URL, or a path in the OA starting with `/`.
    public var url: String
    public var note: String
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension HomepageAppRecord {
    /// The columns, for requests (`HomepageAppRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let name = Column(CodingKeys.name)
        public static let url = Column(CodingKeys.url)
        public static let note = Column(CodingKeys.note)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}

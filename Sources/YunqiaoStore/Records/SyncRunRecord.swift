import Foundation
import GRDB
import YunqiaoCore

/// One sync run and its report.
public struct SyncRunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "syncRun"
    public var id: Int64?
    public var enterpriseId: Int64
    /// `feishu` for mode 1 (Feishu → bridge).
    public var kind: String
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var report: String?
    public var error: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var decodedReport: SyncReport? {
        report.flatMap { try? JSONDecoder().decode(SyncReport.self, from: Data($0.utf8)) }
    }
}

extension SyncRunRecord {
    /// The columns, for requests (`SyncRunRecord.Columns.id`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let enterpriseId = Column(CodingKeys.enterpriseId)
        public static let kind = Column(CodingKeys.kind)
        public static let status = Column(CodingKeys.status)
        public static let startedAt = Column(CodingKeys.startedAt)
        public static let finishedAt = Column(CodingKeys.finishedAt)
        public static let report = Column(CodingKeys.report)
        public static let error = Column(CodingKeys.error)
    }
}

import Foundation

/// One sync run and its report.
public struct SyncRunRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var enterpriseId: Int64
    /// `feishu` for mode 1 (Feishu → bridge).
    public var kind: String
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var report: String?
    public var error: String?

    public init(id: Int64? = nil, enterpriseId: Int64, kind: String, status: String, startedAt: Date,
                finishedAt: Date? = nil, report: String? = nil, error: String? = nil)
    {
        self.id = id
        self.enterpriseId = enterpriseId
        self.kind = kind
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.report = report
        self.error = error
    }

    public var decodedReport: SyncReport? {
        report.flatMap { try? JSONDecoder().decode(SyncReport.self, from: Data($0.utf8)) }
    }
}

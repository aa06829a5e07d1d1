import Foundation

/// A change of the OA directory that went past the ``DecreaseThreshold`` and waits for an admin (table
/// `parkedChange`): the whole import as it came, to be applied as it is or discarded. A newer replace that passes the
/// threshold, or a newer parked change, supersedes a waiting one (applying an old snapshot would undo newer changes).
public struct ParkedChangeRecord: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        case pending, applied, discarded, superseded
    }

    public var id: Int64?
    public var tenantId: Int64
    public var source: OADirectorySource
    public var mode: OADirectoryImportMode
    /// JSON of ``ParkedDirectory``.
    public var payload: String
    /// Users the change would mark `left`, of the active users at the time.
    public var leavingUsers: Int
    public var activeUsers: Int
    /// Departments the change would delete, of the departments at the time.
    public var deletedDepartments: Int
    public var departments: Int
    public var state: State
    public var createdBy: String
    public var createdAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?

    public init(id: Int64? = nil, tenantId: Int64, source: OADirectorySource, mode: OADirectoryImportMode, payload: String,
                leavingUsers: Int, activeUsers: Int, deletedDepartments: Int, departments: Int, state: State = .pending,
                createdBy: String, createdAt: Date, decidedBy: String? = nil, decidedAt: Date? = nil)
    {
        self.id = id
        self.tenantId = tenantId
        self.source = source
        self.mode = mode
        self.payload = payload
        self.leavingUsers = leavingUsers
        self.activeUsers = activeUsers
        self.deletedDepartments = deletedDepartments
        self.departments = departments
        self.state = state
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
    }
}

/// What a parked change carries: the import as it came.
public struct ParkedDirectory: Codable, Sendable, Equatable {
    public var departments: [OADirectoryImport.Department]
    public var users: [OADirectoryImport.User]

    public init(departments: [OADirectoryImport.Department], users: [OADirectoryImport.User]) {
        self.departments = departments
        self.users = users
    }
}

/// A parked change as the API and the console show it (without its payload).
public struct ParkedChangeSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var source: OADirectorySource
    public var mode: OADirectoryImportMode
    public var leavingUsers: Int
    public var activeUsers: Int
    public var deletedDepartments: Int
    public var departments: Int
    public var state: ParkedChangeRecord.State
    public var createdBy: String
    public var createdAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?

    public init(_ record: ParkedChangeRecord) {
        id = record.id ?? 0
        source = record.source
        mode = record.mode
        leavingUsers = record.leavingUsers
        activeUsers = record.activeUsers
        deletedDepartments = record.deletedDepartments
        departments = record.departments
        state = record.state
        createdBy = record.createdBy
        createdAt = record.createdAt
        decidedBy = record.decidedBy
        decidedAt = record.decidedAt
    }
}

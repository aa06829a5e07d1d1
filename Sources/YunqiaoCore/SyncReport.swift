import Foundation

/// What a sync run did, stored with the run and printed by the CLI.
public struct SyncReport: Sendable, Equatable, Codable {
    public struct Counts: Sendable, Equatable, Codable {
        public var seen = 0
        public var created = 0
        public var updated = 0
        public var moved = 0
        public var deleted = 0
        public var outOfScope = 0
        public var failed = 0

        public init() {}
    }

    public struct APIUsage: Sendable, Equatable, Codable {
        public var calls = 0
        public var attempts = 0
        public var retries = 0
        public var rateLimitWaits = 0
        public var tokenRefreshes = 0

        public init() {}
    }

    public enum Status: String, Sendable, Codable { case running, succeeded, failed }

    public var status: Status = .running
    public var departments = Counts()
    public var users = Counts()
    public var api = APIUsage()
    /// Calls per API name.
    public var apiCalls: [String: Int] = [:]
    public var durationMs = 0
    public var error: String?

    public init() {}

    /// Fills the change counts from a plan and the snapshot size.
    public mutating func record(_ plan: SyncPlan, seenDepartments: Int, seenUsers: Int) {
        departments.seen = seenDepartments
        departments.created = plan.departments.created.count
        departments.updated = plan.departments.updated.count
        departments.moved = plan.departments.moved.count
        departments.deleted = plan.departments.deleted.count
        departments.outOfScope = plan.departments.outOfScope.count
        users.seen = seenUsers
        users.created = plan.users.created.count
        users.updated = plan.users.updated.count
        users.moved = plan.users.moved.count
        users.deleted = plan.users.deleted.count
        users.outOfScope = plan.users.outOfScope.count
    }

    /// A few lines for a terminal.
    public var summary: String {
        func line(_ kind: String, _ c: Counts) -> String {
            "\(kind): seen \(c.seen), created \(c.created), updated \(c.updated), moved \(c.moved), deleted \(c.deleted), "
                + "out of scope \(c.outOfScope), failed \(c.failed)"
        }
        var lines = ["sync \(status.rawValue) in \(String(format: "%.2f", Double(durationMs) / 1000)) s",
                     line("departments", departments), line("users", users),
                     "api: \(api.calls) calls, \(api.attempts) requests, \(api.retries) retries, \(api.rateLimitWaits) rate-limit waits, "
                         + "\(api.tokenRefreshes) token refreshes"]
        if let error { lines.append("error: \(error)") }
        return lines.joined(separator: "\n")
    }
}

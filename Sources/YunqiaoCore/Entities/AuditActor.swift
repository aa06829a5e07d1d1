import Foundation

/// Who made a change, as written in the audit log: an admin's user name, `token:<name>`, or `cli`.
public struct AuditActor: Sendable, Equatable {
    public var name: String
    public init(_ name: String) { self.name = name }
    public static let cli = AuditActor("cli")
    public static let system = AuditActor("system")
}

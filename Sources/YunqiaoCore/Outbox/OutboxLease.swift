import Foundation

/// A worker's hold on the outbox work it claimed (deliveries, card updates, card actions): who holds it and for how
/// long. A claim expires by itself, so work held by a process that died is claimed by another one (or by the same
/// process after its restart) once the lease runs out; a worker renews its leases while the work is queued or under
/// way. An outcome is only recorded while the lease is still the worker's: work that another worker claimed after the
/// lease ran out belongs to that one.
public struct OutboxLease: Sendable, Equatable {
    /// Unique per worker process (host, process id and a random part).
    public var owner: String
    /// How long a claim holds without renewal.
    public var duration: TimeInterval

    public init(owner: String, duration: TimeInterval) {
        self.owner = owner
        self.duration = duration
    }

    /// A new owner name for this process: `host:pid:random`.
    public static func processOwner() -> String {
        let random = UInt32.random(in: 0...UInt32.max)
        return "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(String(random, radix: 36))"
    }

    /// When a claim taken or renewed at `now` runs out.
    public func expiry(from now: Date) -> Date { now.addingTimeInterval(duration) }
}

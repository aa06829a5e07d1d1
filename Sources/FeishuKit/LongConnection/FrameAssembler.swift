import Foundation

/// Puts fragmented data frames back together (`feishu-longconn.md` §6): the fragments of one message share its
/// `message_id`, `sum` says how many there are and `seq` (0-based) where each goes; any order works. A message is whole
/// when every slot has a non-empty payload; fragments of a message not completed within ``lifetime`` are dropped.
struct FrameAssembler {
    private struct Pending {
        var parts: [Data?]
        var started: ContinuousClock.Instant
    }

    static let lifetime: Duration = .seconds(10)
    private var pending: [String: Pending] = [:]

    /// The whole payload when `frame` completes its message (or is not split), else nil. A fragment with `seq ≥ sum` is
    /// dropped.
    mutating func add(_ frame: Pbbp2Frame, messageID: String, now: ContinuousClock.Instant = .now) -> Data? {
        pending = pending.filter { now - $0.value.started < Self.lifetime }
        let sum = Int(frame.header("sum") ?? "1") ?? 1
        let seq = Int(frame.header("seq") ?? "0") ?? 0
        guard sum > 1 else { return frame.payload ?? Data() }
        guard seq >= 0, seq < sum, sum <= 1024 else { return nil }
        var entry = pending[messageID] ?? Pending(parts: Array(repeating: nil, count: sum), started: now)
        guard entry.parts.count == sum else { return nil }
        if let payload = frame.payload, !payload.isEmpty { entry.parts[seq] = payload }
        guard entry.parts.allSatisfy({ $0 != nil }) else {
            pending[messageID] = entry
            return nil
        }
        pending[messageID] = nil
        return entry.parts.reduce(into: Data()) { $0.append($1 ?? Data()) }
    }
}

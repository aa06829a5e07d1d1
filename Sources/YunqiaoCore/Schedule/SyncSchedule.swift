import Foundation

/// Which way a scheduled directory sync of an enterprise runs.
public enum SyncDirection: String, Codable, Sendable, CaseIterable {
    /// Mode 1, 从飞书同步组织用户绑定关系 (seed 4.2.1 是否定时同步).
    case fromFeishu
    /// Mode 3, 同步通讯录到飞书 (seed 4.2.3 定时设置).
    case toFeishu
}

/// When a directory sync runs by itself: every N minutes, or at the times of a cron expression in a time zone.
public struct SyncSchedule: Codable, Sendable, Equatable {
    public var enabled: Bool
    /// Every this many minutes after the last scheduled start (or after the schedule was saved); nil with `cron`.
    public var everyMinutes: Int?
    /// A cron expression (``CronExpression``) read in `timeZone`; nil with `everyMinutes`.
    public var cron: String?
    /// An IANA time zone (`Asia/Shanghai`) for `cron`.
    public var timeZone: String

    /// The bounds of `everyMinutes`: every 5 minutes to once a week.
    public static let intervals = 5...10_080
    /// The shortest gap a cron expression may leave between two runs, in minutes.
    public static let shortestCronGap = 5
    public static let defaultTimeZone = "Asia/Shanghai"
    /// Off; once an hour when turned on.
    public static let off = SyncSchedule(enabled: false, everyMinutes: 60, cron: nil, timeZone: defaultTimeZone)

    public init(enabled: Bool, everyMinutes: Int?, cron: String?, timeZone: String = Self.defaultTimeZone) {
        self.enabled = enabled
        self.everyMinutes = everyMinutes
        self.cron = cron
        self.timeZone = timeZone
    }

    private enum CodingKeys: String, CodingKey { case enabled, everyMinutes, cron, timeZone }

    /// `timeZone` may be left out (``defaultTimeZone``).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(enabled: try container.decode(Bool.self, forKey: .enabled),
                  everyMinutes: try container.decodeIfPresent(Int.self, forKey: .everyMinutes),
                  cron: try container.decodeIfPresent(String.self, forKey: .cron),
                  timeZone: try container.decodeIfPresent(String.self, forKey: .timeZone) ?? Self.defaultTimeZone)
    }

    /// Checks the schedule, naming the field at fault: exactly one of `everyMinutes` and `cron`; an interval within
    /// ``intervals``; a cron expression that parses, fires, and never twice within ``shortestCronGap`` minutes; a
    /// known time zone.
    public func validate() throws(YunqiaoError) {
        guard TimeZone(identifier: timeZone) != nil else {
            throw .invalid(field: "timeZone", message: "\(timeZone) is not a time zone (e.g. Asia/Shanghai)")
        }
        switch (everyMinutes, cron) {
        case (let minutes?, nil):
            guard Self.intervals.contains(minutes) else {
                throw .invalid(field: "everyMinutes", message: "must be between \(Self.intervals.lowerBound) and \(Self.intervals.upperBound)")
            }
        case (nil, let text?):
            guard text.count <= 200 else { throw .invalid(field: "cron", message: "at most \(200) characters") }
            let expression: CronExpression
            do { expression = try CronExpression(text) } catch { throw .invalid(field: "cron", message: error.text) }
            guard let zone = TimeZone(identifier: timeZone), let gap = Self.shortestGap(expression, in: zone) else {
                throw .invalid(field: "cron", message: "\(text) never fires")
            }
            guard gap >= Double(Self.shortestCronGap * 60) else {
                throw .invalid(field: "cron", message: "runs at most every \(Self.shortestCronGap) minutes")
            }
        default:
            throw .invalid(field: "cron", message: "give either everyMinutes or cron, not both or neither")
        }
    }

    /// The shortest gap between the first 100 firings after the start of 2026 (a cron expression's pattern repeats
    /// within a day for every field but the day fields), nil when it never fires.
    private static func shortestGap(_ expression: CronExpression, in zone: TimeZone) -> TimeInterval? {
        var time = Date(timeIntervalSince1970: 1_767_225_600)
        guard var previous = expression.next(after: time, in: zone) else { return nil }
        var shortest = TimeInterval.infinity
        time = previous
        for _ in 0..<100 {
            guard let next = expression.next(after: time, in: zone) else { break }
            shortest = min(shortest, next.timeIntervalSince(previous))
            previous = next
            time = next
        }
        return shortest
    }

    /// The first time after `base` the schedule fires; nil when it is off (or the expression never fires).
    public func next(after base: Date) -> Date? {
        guard enabled else { return nil }
        if let cron, let expression = try? CronExpression(cron), let zone = TimeZone(identifier: timeZone) {
            return expression.next(after: base, in: zone)
        }
        return everyMinutes.map { base.addingTimeInterval(Double($0) * 60) }
    }
}

/// An enterprise's schedule for one direction, with what it last did.
public struct SyncScheduleRecord: Sendable, Equatable {
    /// What the last firing did.
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        /// A run was started (`lastRunId`).
        case started
        /// Nothing started: a run of the enterprise was under way or waiting for approval (`lastNote` says which).
        case skipped
        /// The run could not start (`lastNote` says why).
        case failed
    }

    public var tenantId: Int64
    public var enterpriseId: Int64
    public var direction: SyncDirection
    public var schedule: SyncSchedule
    /// When the schedule was last saved: an interval counts from here until the first firing.
    public var updatedAt: Date
    /// How many times it fired; each firing is claimed by raising it by one, so that it fires once however many
    /// instances look.
    public var fires: Int
    public var lastFiredAt: Date?
    public var lastOutcome: Outcome?
    /// The run the last firing started (a sync run for `fromFeishu`, an OA → Feishu run for `toFeishu`).
    public var lastRunId: Int64?
    public var lastNote: LocalizedText?

    public init(tenantId: Int64, enterpriseId: Int64, direction: SyncDirection, schedule: SyncSchedule, updatedAt: Date, fires: Int = 0,
                lastFiredAt: Date? = nil, lastOutcome: Outcome? = nil, lastRunId: Int64? = nil, lastNote: LocalizedText? = nil)
    {
        self.tenantId = tenantId
        self.enterpriseId = enterpriseId
        self.direction = direction
        self.schedule = schedule
        self.updatedAt = updatedAt
        self.fires = fires
        self.lastFiredAt = lastFiredAt
        self.lastOutcome = lastOutcome
        self.lastRunId = lastRunId
        self.lastNote = lastNote
    }

    /// When it fires next: after the last firing or the last save, whichever is later (slots missed while the bridge
    /// was down become one run at the next look, not one per slot).
    public var nextFire: Date? {
        schedule.next(after: max(lastFiredAt ?? updatedAt, updatedAt))
    }

    public func isDue(at time: Date) -> Bool { nextFire.map { $0 <= time } ?? false }
}

import Foundation
import Testing
import YunqiaoCore

/// Cron expressions (crontab(5)) and sync schedules: parsing, the next firing in a time zone, the refusals.
struct CronExpressionTests {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    static let utc = TimeZone(identifier: "UTC")!

    /// `2026-12-05 10:17:30` in `zone`.
    static func date(_ text: String, _ zone: TimeZone = shanghai) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.date(from: text)!
    }

    static func next(_ expression: String, after text: String, _ zone: TimeZone = shanghai) throws -> Date? {
        try CronExpression(expression).next(after: date(text, zone), in: zone)
    }

    @Test func nextFiringsInTheScheduleTimeZone() throws {
        #expect(try Self.next("0 2 * * *", after: "2026-12-05 10:17:30") == Self.date("2026-12-06 02:00:00"))
        #expect(try Self.next("0 2 * * *", after: "2026-12-05 01:59:59") == Self.date("2026-12-05 02:00:00"))
        // Strictly later: the minute it is in does not count.
        #expect(try Self.next("*/15 * * * *", after: "2026-12-05 10:15:00") == Self.date("2026-12-05 10:30:00"))
        #expect(try Self.next("*/15 * * * *", after: "2026-12-05 10:59:10") == Self.date("2026-12-05 11:00:00"))
        // The same expression in UTC fires eight hours later in absolute time.
        #expect(try Self.next("0 2 * * *", after: "2026-12-05 10:17:30", Self.utc) == Self.date("2026-12-06 10:00:00"))
        #expect(try Self.next("30 8-18/2 * * MON-FRI", after: "2026-12-05 10:17:30") == Self.date("2026-12-07 08:30:00"))  // a Saturday
        #expect(try Self.next("0 0 1 JAN *", after: "2026-12-05 10:17:30") == Self.date("2027-01-01 00:00:00"))
        #expect(try Self.next("@hourly", after: "2026-12-05 10:17:30") == Self.date("2026-12-05 11:00:00"))
        #expect(try Self.next("@weekly", after: "2026-12-05 10:17:30") == Self.date("2026-12-06 00:00:00"))  // Sunday
        #expect(try Self.next("0 0 29 2 *", after: "2026-12-05 10:17:30") == Self.date("2028-02-29 00:00:00"))
        #expect(try Self.next("0 0 31 2 *", after: "2026-12-05 10:17:30") == nil)
    }

    @Test func restrictedDayFieldsMatchEitherAsInVixieCron() throws {
        // The 15th, or any Monday: after Saturday the 5th, Monday the 7th comes first.
        #expect(try Self.next("0 9 15 * 1", after: "2026-12-05 10:00:00") == Self.date("2026-12-07 09:00:00"))
        // Sunday is 0 or 7.
        #expect(try Self.next("0 9 * * 7", after: "2026-12-05 10:00:00") == Self.date("2026-12-06 09:00:00"))
        // `*` in one day field: the other alone decides.
        #expect(try Self.next("0 9 * * 3", after: "2026-12-05 10:00:00") == Self.date("2026-12-09 09:00:00"))
    }

    @Test func daylightSavingTimeSkipsTheMissingHour() throws {
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        // 2027-03-14 02:30 does not exist in New York: the next 02:30 that does is the 15th's.
        let next = try Self.next("30 2 * * *", after: "2027-03-13 12:00:00", newYork)
        #expect(next == Self.date("2027-03-15 02:30:00", newYork))
    }

    @Test(arguments: [
        ("* * * *", "a cron expression has 5 fields (minute hour day month weekday), not 4"),
        ("60 * * * *", "field 1: 60 is outside 0–59"),
        ("*/0 * * * *", "field 1: the step in */0 must be a number from 1 to 59"),
        ("5-1 * * * *", "field 1: the range 5-1 runs backwards"),
        ("0 0 * FOO *", "field 4: FOO is not a number"),
        ("0 0 0 * *", "field 3: 0 is outside 1–31"),
        ("1,,2 * * * *", "field 1: 1,,2 has an empty item"),
    ])
    func badExpressionsAreRefusedSayingWhy(expression: String, message: String) {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression(expression) }
        do { _ = try CronExpression(expression) } catch { #expect(error.description == message) }
    }

    @Test func schedulesAreValidatedNamingTheField() {
        func field(_ schedule: SyncSchedule) -> String? {
            do { try schedule.validate() } catch { if case .invalid(let field, _) = error { return field } }
            return nil
        }
        #expect(field(SyncSchedule(enabled: true, everyMinutes: 60, cron: nil)) == nil)
        #expect(field(SyncSchedule(enabled: true, everyMinutes: nil, cron: "0 2 * * *")) == nil)
        #expect(field(SyncSchedule(enabled: true, everyMinutes: nil, cron: "*/5 * * * *")) == nil)
        #expect(field(SyncSchedule(enabled: true, everyMinutes: 4, cron: nil)) == "everyMinutes")
        #expect(field(SyncSchedule(enabled: true, everyMinutes: 10_081, cron: nil)) == "everyMinutes")
        #expect(field(SyncSchedule(enabled: true, everyMinutes: nil, cron: "* * * * *")) == "cron")  // every minute: too often
        #expect(field(SyncSchedule(enabled: true, everyMinutes: nil, cron: "0 0 31 2 *")) == "cron")  // never
        #expect(field(SyncSchedule(enabled: true, everyMinutes: 60, cron: "0 2 * * *")) == "cron")  // both
        #expect(field(SyncSchedule(enabled: true, everyMinutes: 60, cron: nil, timeZone: "Mars/Olympus")) == "timeZone")
    }

    @Test func aRecordIsDueAfterItsLastFiringOrItsLastSave() {
        let saved = Self.date("2026-12-05 10:00:00")
        var record = SyncScheduleRecord(tenantId: 1, enterpriseId: 1, direction: .fromFeishu,
                                        schedule: SyncSchedule(enabled: true, everyMinutes: 60, cron: nil), updatedAt: saved)
        #expect(record.nextFire == Self.date("2026-12-05 11:00:00"))
        #expect(!record.isDue(at: Self.date("2026-12-05 10:59:00")))
        #expect(record.isDue(at: Self.date("2026-12-05 11:00:00")))
        // Down for a day: one firing at the next look, then an hour after it.
        record.lastFiredAt = Self.date("2026-12-06 12:34:00")
        #expect(record.nextFire == Self.date("2026-12-06 13:34:00"))
        record.schedule.enabled = false
        #expect(record.nextFire == nil)
        #expect(!record.isDue(at: .distantFuture))
    }
}

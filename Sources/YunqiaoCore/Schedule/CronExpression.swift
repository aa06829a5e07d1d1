import Foundation

/// A cron expression as crontab(5) writes it — five fields, minute hour day-of-month month day-of-week — each a list
/// of `*`, `n`, `a-b` with an optional `/step`; month and weekday names (`JAN`, `MON`); 0 or 7 for Sunday; and the
/// shorthands `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. As in Vixie cron, when both day fields are
/// restricted a day matches either of them.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written (trimmed).
    public let description: String
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let days: Set<Int>
    private let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday.
    private let weekdays: Set<Int>
    private let daysRestricted: Bool
    private let weekdaysRestricted: Bool

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let text: LocalizedText
        public var description: String { text.description }
    }

    private static let shorthands = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                                     "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
                                     "@annually": "0 0 1 1 *"]
    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let weekdayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public init(_ text: String) throws(ParseError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        description = trimmed
        let expanded = Self.shorthands[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(text: "a cron expression has 5 fields (minute hour day month weekday), not \(fields.count)")
        }
        minutes = try Self.parse(fields[0], position: 1, range: 0...59)
        hours = try Self.parse(fields[1], position: 2, range: 0...23)
        days = try Self.parse(fields[2], position: 3, range: 1...31)
        months = try Self.parse(fields[3], position: 4, range: 1...12, names: Self.monthNames, firstName: 1)
        let weekdays = try Self.parse(fields[4], position: 5, range: 0...7, names: Self.weekdayNames, firstName: 0)
        self.weekdays = Set(weekdays.map { $0 % 7 })
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
    }

    /// Field `position` (1 = minute … 5 = weekday), named by its position so that the words need no translation of
    /// field names.
    private static func parse(_ field: String, position: Int, range: ClosedRange<Int>, names: [String] = [],
                              firstName: Int = 0) throws(ParseError) -> Set<Int>
    {
        var values = Set<Int>()
        for item in field.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw ParseError(text: "field \(position): \(field) has an empty item") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else { throw ParseError(text: "field \(position): \(String(item)) is not a value, a range or a step") }
            var step = 1
            if parts.count == 2 {
                guard let value = Int(parts[1]), value > 0, value <= range.upperBound else {
                    throw ParseError(text: "field \(position): the step in \(String(item)) must be a number from 1 to \(range.upperBound)")
                }
                step = value
            }
            let span: ClosedRange<Int>
            if parts[0] == "*" {
                span = range
            } else {
                let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count) else { throw ParseError(text: "field \(position): \(String(item)) is not a value or a range") }
                var numbers: [Int] = []
                for bound in bounds {
                    let text = String(bound).uppercased()
                    if let number = Int(text) {
                        numbers.append(number)
                    } else if let index = names.firstIndex(of: text) {
                        numbers.append(index + firstName)
                    } else {
                        throw ParseError(text: "field \(position): \(String(bound)) is not a number")
                    }
                }
                guard let low = numbers.first, let high = numbers.last, range.contains(low), range.contains(high) else {
                    throw ParseError(text: "field \(position): \(String(parts[0])) is outside \(range.lowerBound)–\(range.upperBound)")
                }
                guard low <= high else { throw ParseError(text: "field \(position): the range \(String(parts[0])) runs backwards") }
                // `a/n` runs from a to the field's end, as cronie reads it.
                span = low...(parts.count == 2 && numbers.count == 1 ? range.upperBound : high)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    /// Whether the expression fires on a day (`weekday` 1 = Sunday, as Calendar counts).
    private func matchesDay(day: Int, weekday: Int) -> Bool {
        let dayOK = days.contains(day)
        let weekdayOK = weekdays.contains(weekday - 1)
        if daysRestricted && weekdaysRestricted { return dayOK || weekdayOK }
        return dayOK && weekdayOK
    }

    /// The first minute after `date` (strictly later, at :00 seconds) at which the expression fires in `timeZone`; nil
    /// when it never fires within eight years (`0 0 31 2 *`). A wall-clock time skipped by a daylight-saving change is
    /// not fired; a repeated one fires at its first occurrence.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // The next whole minute (every time zone in use today is offset by whole minutes).
        var time = Date(timeIntervalSinceReferenceDate: (date.timeIntervalSinceReferenceDate / 60).rounded(.down) * 60 + 60)
        guard let limit = calendar.date(byAdding: .year, value: 8, to: date) else { return nil }
        while time <= limit {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: time)
            guard let year = parts.year, let month = parts.month, let day = parts.day, let hour = parts.hour,
                  let minute = parts.minute, let weekday = parts.weekday
            else { return nil }
            if !months.contains(month) {
                guard let next = calendar.date(from: DateComponents(year: month == 12 ? year + 1 : year, month: month % 12 + 1, day: 1)) else { return nil }
                time = next
            } else if !matchesDay(day: day, weekday: weekday) {
                guard let start = calendar.date(from: DateComponents(year: year, month: month, day: day)),
                      let next = calendar.date(byAdding: .day, value: 1, to: start) else { return nil }
                time = next
            } else if !hours.contains(hour) {
                guard let next = calendar.date(byAdding: .minute, value: 60 - minute, to: time) else { return nil }
                time = next
            } else if !minutes.contains(minute) {
                time = time.addingTimeInterval(60)
            } else {
                return time
            }
        }
        return nil
    }
}

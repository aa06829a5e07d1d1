import Foundation

/// Dates and times exactly as the OpenAPI document's formats `date` and `date-time` take them (RFC 3339, read as JSON
/// Schema's format checkers read it): `2026-11-26`; `2026-11-26T08:00:00Z`, `2026-11-26t16:00:00.250+08:00`.
///
/// Foundation's ISO 8601 parser is not that: it refuses offsets past ±18 hours (RFC 3339 takes `-21:25`), rolls
/// `2026-02-30` over to March and takes a 60th second. Years run from 0001; there are no leap seconds.
enum RFC3339 {
    /// A full date (`2026-11-26`) as midnight UTC, or nil.
    static func day(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, let days = days(bytes) else { return nil }
        return Date(timeIntervalSince1970: Double(days) * 86_400)
    }

    /// A date-time (`2026-11-26T08:00:00Z`, fractions of a second and an offset of `+HH:MM`/`-HH:MM` allowed; `T` and
    /// `Z` in either case), or nil.
    static func time(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, let days = days(bytes), "Tt".utf8.contains(bytes[10]),
              let hour = number(bytes, 11, 2), hour < 24, bytes[13] == UInt8(ascii: ":"),
              let minute = number(bytes, 14, 2), minute < 60, bytes[16] == UInt8(ascii: ":"),
              let second = number(bytes, 17, 2), second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            var scale = 0.1
            index += 1
            let start = index
            while index < bytes.count, let digit = digit(bytes[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard let offset = offset(bytes[index...]) else { return nil }
        let seconds = Double(days) * 86_400 + Double(hour * 3600 + minute * 60 + second) + fraction - Double(offset)
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days since 1970-01-01 of the `YYYY-MM-DD` at the start of `bytes`, or nil when it is not a day of the calendar.
    private static func days(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 10, let year = number(bytes, 0, 4), year >= 1, bytes[4] == UInt8(ascii: "-"),
              let month = number(bytes, 5, 2), (1...12).contains(month), bytes[7] == UInt8(ascii: "-"),
              let day = number(bytes, 8, 2), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        // Days from the civil date (proleptic Gregorian), as in Howard Hinnant's `days_from_civil`.
        let shifted = month <= 2 ? year - 1 : year
        let era = shifted / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Seconds east of UTC of `Z` or `±HH:MM` (hours 00–23), which must be all of `bytes`; nil otherwise.
    private static func offset(_ bytes: ArraySlice<UInt8>) -> Int? {
        let bytes = Array(bytes)
        if bytes.count == 1, "Zz".utf8.contains(bytes[0]) { return 0 }
        guard bytes.count == 6, let sign = bytes.first, "+-".utf8.contains(sign), let hours = number(bytes, 1, 2), hours < 24,
              bytes[3] == UInt8(ascii: ":"), let minutes = number(bytes, 4, 2), minutes < 60
        else { return nil }
        return (sign == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// The decimal number of the `count` ASCII digits at `start`, or nil.
    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard let digit = digit(byte) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }
}

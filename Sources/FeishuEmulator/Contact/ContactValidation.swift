import Foundation

/// Input rules of the contact API that the emulator enforces like the platform.
enum ContactValidation {
    /// `13800000000`, `+86 138 0000 0000`, `+8613800000000` → `+8613800000000`; other countries keep their `+cc`.
    /// `nil` when it is not a phone number.
    static func normalizeMobile(_ raw: String) -> String? {
        let compact = raw.filter { !$0.isWhitespace && $0 != "-" }
        guard !compact.isEmpty else { return nil }
        let hasPlus = compact.hasPrefix("+")
        let digits = hasPlus ? String(compact.dropFirst()) : compact
        guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), (6...15).contains(digits.count) else { return nil }
        if hasPlus { return "+" + digits }
        guard digits.count == 11, digits.hasPrefix("1") else { return nil }
        return "+86" + digits
    }

    static func isValidEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
              !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace) else { return false }
        return true
    }
}

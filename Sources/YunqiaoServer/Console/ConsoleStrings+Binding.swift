extension ConsoleStrings {
    /// The words of bindings (settings, conflicts, user card bind/unbind, batch unbind).
    static let binding = Table(
        zh: [:],
        en: [:])
}

extension ConsoleStrings {
    /// The words of the OA directory (import, departments, users, OA keys).
    static let oaDirectory = Table(
        zh: [:],
        en: [:])
}

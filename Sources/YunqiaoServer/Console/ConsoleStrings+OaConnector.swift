extension ConsoleStrings {
    /// The words of the OA pull connector.
    static let oaConnector = Table(
        zh: [:],
        en: [:])
}

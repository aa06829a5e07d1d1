extension ConsoleStrings {
    /// The words of the association sheet (关联导入).
    static let bindingSheet = Table(
        zh: [:],
        en: [:])
}

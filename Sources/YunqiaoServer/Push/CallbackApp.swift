import YunqiaoCore

extension BridgeStore {
    /// The app a Feishu callback URL names (`/feishu/apps/{id}/…`) with its enterprise; nil when the id is not a number
    /// or no app has it (the callback is refused without saying which).
    func callbackApp(_ rawID: String) async throws -> (app: AppRecord, enterprise: EnterpriseRecord)? {
        guard let id = Int64(rawID) else { return nil }
        do { return try await integration.app(id: id) } catch YunqiaoError.notFound { return nil }
    }
}

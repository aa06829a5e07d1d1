import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// Feishu's Approval Center in the admin API (issue #18): a module's setting (where its todos appear, the OA's pages)
/// with its definitions per app, the reconciliation's last report and a run on demand, and dead letters sent again.
struct ApprovalCenterAPIController {
    let database: any BridgeStore
    let sync: ApprovalCenterSync

    struct SettingInput: Decodable {
        var channel: String
        var pcURL: String?
        var mobileURL: String?
    }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("oa-modules/:id/approval-center") { _, context in
            let admin = try context.admin()
            return try await view(try await database.pushRules.oaModule(tenantId: admin.tenantId, id: context.id("id")), tenantId: admin.tenantId)
        }
        routes.put("oa-modules/:id/approval-center") { request, context in
            let admin = try context.admin()
            let input = try await request.decode(as: SettingInput.self, context: context)
            let module = try await database.approvalCenter.setApprovalCenter(tenantId: admin.tenantId, moduleId: context.id("id"),
                                                                            try Self.setting(input), by: admin.actor, at: Date())
            sync.wake()
            return try await view(module, tenantId: admin.tenantId)
        }
        routes.get("approval-center/check") { _, context in
            guard let report = try await database.approvalCenter.lastApprovalCheck(tenantId: context.admin().tenantId) else {
                throw APIError(.notFound, message: "no reconciliation has run yet")
            }
            return report
        }
        routes.post("approval-center/check") { _, context in
            let tenantId = try context.admin().tenantId
            let reports = await sync.check.run(tenantId: tenantId)
            sync.wake()
            return reports[tenantId] ?? ApprovalCheckReport(startedAt: Date(), finishedAt: Date(), checked: 0, drifted: 0, driftedIds: [], errors: [])
        }
        routes.post("approval-center/resend") { _, context in
            let admin = try context.admin()
            let count = try await database.approvalCenter.resendApprovalDeadLetters(tenantId: admin.tenantId, by: admin.actor, at: Date())
            sync.wake()
            return ResentView(resent: count)
        }
        return routes
    }

    struct ResentView: ResponseEncodable { var resent: Int }

    static func setting(_ input: SettingInput) throws -> ApprovalCenterSetting {
        guard let channel = TodoChannel(rawValue: input.channel) else {
            throw APIError.invalid("channel", "must be card, cardAndApprovalCenter or approvalCenter")
        }
        func blankAsNil(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        return ApprovalCenterSetting(channel: channel, pcURL: blankAsNil(input.pcURL), mobileURL: blankAsNil(input.mobileURL))
    }

    private func view(_ module: OAModuleRecord, tenantId: Int64) async throws -> ApprovalCenterSettingView {
        ApprovalCenterSettingView(module: module, definitions: try await database.approvalCenter.approvalDefinitions(tenantId: tenantId, source: module.key))
    }
}

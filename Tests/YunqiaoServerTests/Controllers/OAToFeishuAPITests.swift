import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// Mode 3 in the admin API (issue #14): settings read and saved with every rule by field, a preview (201) with its
/// plan, a run refused while read-only (409 naming `writable`), a parked run approved (202) or discarded, tenants apart.
@Suite(.timeLimit(.minutes(2)))
struct OAToFeishuAPITests {
    static let settings = #"""
        {"writable": false, "topDepartmentID": "0", "createUsers": true, "accountField": "loginID",
         "fieldMapping": [{"oa": "name", "feishu": "name", "synced": true}, {"oa": "mobile", "feishu": "mobile", "synced": true}],
         "includePartTimeDepartments": false, "leaverAction": "disable", "deleteDisabledAfterDays": 7,
         "disabledDepartmentName": "已禁用用户", "includeDepartments": [], "includeUsers": [], "excludeUsers": [],
         "threshold": {"maxPercent": 10, "maxCount": 500}}
        """#

    @Test func settingsPreviewRunsAndApproval() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (id, _) = try await ConsoleBindingTests.scenario(env)
            let standard = try await env.api.get("enterprises/\(id)/oa-to-feishu/settings").decode(OAToFeishuSettings.self)
            #expect(standard == .standard && !standard.writable)

            // Every rule by field.
            let cases: [(String, String, String)] = [
                (#""deleteDisabledAfterDays": 7"#, #""deleteDisabledAfterDays": 4000"#, "deleteDisabledAfterDays"),
                (#""topDepartmentID": "0""#, #""topDepartmentID": "od-nowhere""#, "topDepartmentID"),
                (#"{"oa": "mobile", "feishu": "mobile", "synced": true}"#, #"{"oa": "mobile", "feishu": "name", "synced": true}"#, "fieldMapping"),
                (#""maxPercent": 10"#, #""maxPercent": 101"#, "threshold.maxPercent"),
                (#""leaverAction": "disable""#, #""leaverAction": "vanish""#, "leaverAction"),
            ]
            for (old, new, field) in cases {
                let refused = try await env.api.put("enterprises/\(id)/oa-to-feishu/settings", Self.settings.replacingOccurrences(of: old, with: new))
                #expect(refused.status == .badRequest && refused.error?.field == field, "\(field): \(refused.text)")
            }
            let saved = try await env.api.put("enterprises/\(id)/oa-to-feishu/settings", Self.settings)
            #expect(saved.status == .ok)
            #expect(try await env.api.get("enterprises/\(id)/oa-to-feishu/settings").decode(OAToFeishuSettings.self).deleteDisabledAfterDays == 7)
            #expect(try await env.otherAPI.get("enterprises/\(id)/oa-to-feishu/settings").status == .notFound)

            // A preview with its plan; a run refused while read-only.
            let preview = try await env.api.post("enterprises/\(id)/oa-to-feishu/preview")
            #expect(preview.status == .created)
            let view = try preview.decode(OAToFeishuRunView.self)
            #expect(view.status == "preview" && view.plan != nil)
            let readOnly = try await env.api.post("enterprises/\(id)/oa-to-feishu/runs")
            #expect(readOnly.status == .conflict && readOnly.error?.field == "writable")
            #expect(try await env.api.post("oa-to-feishu/runs/\(view.id)/discard").status == .conflict)  // a preview is not parked

            // Read-write: Feishu's departments the OA lacks are deleted, so the run waits; discarded, then a new one approved.
            _ = try await env.api.put("enterprises/\(id)/oa-to-feishu/settings", Self.settings.replacingOccurrences(of: #""writable": false"#, with: #""writable": true"#))
            let parked = try await env.api.post("enterprises/\(id)/oa-to-feishu/runs").decode(OAToFeishuRunView.self)
            #expect(parked.status == "parked" && !parked.approvalReasons.isEmpty)
            #expect(try await env.api.post("oa-to-feishu/runs/\(parked.id)/discard").decode(OAToFeishuRunView.self).status == "discarded")
            let again = try await env.api.post("enterprises/\(id)/oa-to-feishu/runs").decode(OAToFeishuRunView.self)
            let approved = try await env.api.post("oa-to-feishu/runs/\(again.id)/approve")
            let approvedRun = try approved.decode(OAToFeishuRunView.self)
            #expect(approved.status == .accepted && approvedRun.status == "applying")
            let list = try await env.api.get("enterprises/\(id)/oa-to-feishu/runs?limit=10").decode(RunList.self)
            #expect(list.items.map(\.id) == [again.id, parked.id, view.id] && list.items.allSatisfy { $0.plan == nil })
            #expect(try await env.api.get("enterprises/\(id)/oa-to-feishu/runs?limit=201").error?.field == "limit")
            #expect(try await env.otherAPI.get("oa-to-feishu/runs/\(again.id)").status == .notFound)
        }
    }

    struct RunList: Decodable { var items: [OAToFeishuRunView] }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// `POST/GET external_approvals` (`feishu-api.md` §5.1), the envelope and the rate limit of the approval APIs.
@Suite struct ApprovalDefinitionTests {
    @Test func aNewDefinitionGetsANewCodeAndTheGivenCodeUpdatesIt() async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            #expect(code != "oa-leave")
            #expect(code.count == 36 && code == code.uppercased() && code.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])

            // Asking again with the requested code (not the one given) makes another definition.
            let second = try await api.createDefinition()
            #expect(second != code)

            // The code the app was given updates that definition.
            let updated = Approval.definition(code: code, batch: true, callback: "https://oa.example/cb")
            let again = try await api.post(Approval.approvals, updated)
            #expect(again.code == 0 && again.data == ["approval_code": .string(code)], "\(again.text)")

            let got = try await api.get("\(Approval.approvals)/\(code)?user_id_type=user_id")
            #expect(got.code == 0 && got.json?["msg"] == "success", "\(got.text)")
            var expected = updated.objectValue ?? [:]
            expected["approval_code"] = .string(code)
            #expect(got.data == .object(expected))

            let held = try await api.admin(.get, "approval/definitions?app_id=\(TestApps.main.appID)")
            let items = held.json?["items"]?.arrayValue ?? []
            #expect(items.count == 2)
            let first = try #require(items.first { $0["approval_code"]?.stringValue == code })
            #expect(first["requested_code"] == "oa-leave" && first["name"] == "请假" && first["updates"] == 1)
            #expect(first["external"]?["allow_batch_operate"] == true && first["external"]?["has_action_callback_url"] == true)
            #expect(first["external"]?["has_action_callback_key"] == false)
        }
    }

    @Test func anotherAppNeitherSeesNorUpdatesTheDefinition() async throws {
        try await withEmulator { api async throws in
            let code = try await api.createDefinition()
            let other = try await api.asApp(TestApps.other)
            let got = try await other.get("\(Approval.approvals)/\(code)")
            #expect(got.status == .badRequest && got.code == 1_390_002, "\(got.text)")
            #expect(got.firstViolationField == "approval_code")
            #expect(got.json?["error"]?["log_id"]?.stringValue == got.logID)
            let theirs = try await other.createDefinition(Approval.definition(code: code))
            #expect(theirs != code)
            #expect(try await api.get("\(Approval.approvals)/UNKNOWN").code == 1_390_002)
        }
    }

    @Test(arguments: [
        ("approval_name", Approval.definition().without("approval_name")),
        ("approval_name", Approval.definition().with(["approval_name": "请假"])),
        ("approval_code", Approval.definition().without("approval_code")),
        ("group_code", Approval.definition().without("group_code")),
        ("external", Approval.definition().without("external")),
        ("external.enable_quick_operate", Approval.definition().with(["external": ["enable_quick_operate": "maybe"]])),
        ("external.action_callback_url", Approval.definition().with(["external": ["action_callback_url": "not a url"]])),
        ("i18n_resources", Approval.definition().without("i18n_resources")),
        ("i18n_resources[0].locale", Approval.definition().with(["i18n_resources": [["locale": "zh_cn", "is_default": true, "texts": []]]])),
        ("i18n_resources", Approval.definition().with(["i18n_resources": [["locale": "zh-CN", "texts": []]]])),
        ("group_name", Approval.definition().with(["group_name": "@i18n@missing"])),
        ("viewers[0].viewer_type", Approval.definition().with(["viewers": [["viewer_type": "EVERYONE"]]])),
    ] as [(String, JSON)])
    func badDefinitionsAreRefusedNamingTheField(field: String, body: JSON) async throws {
        try await withEmulator { api async throws in
            let reply = try await api.post(Approval.approvals, body)
            #expect(reply.status == .badRequest, "\(reply.text)")
            #expect(reply.code == 1_390_001)
            #expect(reply.firstViolationField == field, "\(reply.text)")
            #expect(reply.json?["msg"]?.stringValue?.contains(field) == true)
            #expect(try await api.admin(.get, "approval/definitions").json?["items"] == [])
        }
    }

    @Test func theApprovalAPIsTakeTenantTokensOnly() async throws {
        try await withClient { client async throws in
            let missing = try await client.send(.post, Approval.instances, json: [:])
            #expect(missing.status == .badRequest && missing.code == 99991661)
            let unknown = try await client.send(.post, Approval.check, authorization: "Bearer t-unknown", json: ["instances": []])
            #expect(unknown.code == 99991663)
            let wrongMethod = try await client.send(.delete, Approval.instances, authorization: "Bearer t-unknown")
            #expect(wrongMethod.status == .notFound && wrongMethod.contentType.hasPrefix("text/plain"))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func pushesAreRateLimitedLikeOtherAPIs() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            try await api.client.freezeClock()
            let code = try await api.createDefinition()
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<55 {
                let reply = try await api.pushInstance(Approval.instance(code, "rl-\(index)"))
                statuses.append(reply.status)
                if reply.status == .tooManyRequests {
                    #expect(reply.code == 99991400 && reply.header("x-ogw-ratelimit-limit") == "50")
                }
            }
            #expect(statuses.prefix(50).allSatisfy { $0 == .ok })
            #expect(statuses.dropFirst(50).allSatisfy { $0 == .tooManyRequests })
            // Another API has its own quota.
            #expect(try await api.post(Approval.check, ["instances": []]).code == 0)
            let state = try await api.admin(.get, "state?org=false")
            #expect(state.json?["counters"]?["rate_limited"]?["POST /open-apis/approval/v4/external_instances"] == 5)
            #expect(state.json?["approval"]?["instances"] == 50)
        }
    }
}

import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import Testing

/// Query values are percent-decoded exactly once.
@Suite struct QueryDecodingTests {
    @Test func pathParametersAreDecodedOnce() async throws {
        try await withEmulator { api async throws in
            let created = try await api.post(UserWriteTests.create, UserWriteTests.newUser(["user_id": "a%41b"]))
            #expect(created.code == 0, "\(created.text)")
            #expect(try await api.get("\(TestOrg.userAPI)/a%2541b?user_id_type=user_id").data?["user"]?["user_id"] == "a%41b")
        }
    }

    @Test
    func queryValuesAreDecodedOnce() async throws {
        try await withEmulator { api async throws in
            let created = try await api.post(UserWriteTests.create, UserWriteTests.newUser(["user_id": "a%41b"]))
            #expect(created.code == 0, "\(created.text)")
            let batch = try await api.get("\(TestOrg.userAPI)/batch?user_ids=a%2541b&user_id_type=user_id")
            #expect(batch.items.compactMap { $0["user_id"]?.stringValue } == ["a%41b"])
        }
    }
}

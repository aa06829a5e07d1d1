import Foundation
import GRDB
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// The first-visit OA login form under attack (hardening issue #13): simultaneous guesses, login-id enumeration by
/// timing, one-time values at rest.
@Suite(.timeLimit(.minutes(2)))
struct FirstVisitHardeningTests {
    @Test func simultaneousWrongOAPasswordsAreCheckedOneAtATime() async throws {
        var configuration = ServerConfiguration()
        configuration.loginMaxFailures = 1
        let checks = PasswordChecks()
        try await APIEnvironment.with(emulator: true, configuration: configuration, passwords: checks.verifier) { env in
            let setup = try await FirstVisitTests.setUp(env)
            let app = setup.app.id
            let token = try FirstVisitTests.token(in: try await FirstVisitTests.visit(env, app: app, as: "root1"))
            let before = checks.count
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for guess in 0..<6 {
                    group.addTask { try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: "guess-\(guess)").status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 5, "\(statuses)")
            #expect(checks.count - before == 1)
            let right = try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: FirstVisitTests.oaPassword)
            #expect(right.status == .tooManyRequests)
            #expect(try await FirstVisitTests.bindings(env, setup.enterpriseId).isEmpty)
        }
    }

    @Test func anUnknownOALoginCostsAPasswordCheckToo() async throws {
        let checks = PasswordChecks()
        try await APIEnvironment.with(emulator: true, passwords: checks.verifier) { env in
            let setup = try await FirstVisitTests.setUp(env)
            let app = setup.app.id
            let token = try FirstVisitTests.token(in: try await FirstVisitTests.visit(env, app: app, as: "root1"))
            let before = checks.count
            // Unknown, left, known with a wrong password: one check each, the first two against the dummy hash.
            for login in ["nobody", "gone", "zhang"] {
                #expect(try await FirstVisitTests.bind(env, app: app, token: token, loginID: login, password: "guess").status == .unauthorized)
            }
            #expect(checks.count - before == 3)
            #expect(checks.againstDummy == 2)
            let done = try await FirstVisitTests.bind(env, app: app, token: token, loginID: "zhang", password: FirstVisitTests.oaPassword)
            #expect(done.status == .seeOther)
        }
    }

    @Test func oauthStatesAndFormTokensAreStoredAsTheirHashes() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await FirstVisitTests.setUp(env)
            let started = try await FirstVisitTests.open(env, app: setup.app.id)
            let form = try await FirstVisitTests.visit(env, app: setup.app.id, as: "root1")
            let token = try FirstVisitTests.token(in: form)
            let keys = try await env.database.reader.read { db in try String.fetchAll(db, sql: #"SELECT "key" FROM persistEntry"#) }
            #expect(keys.contains(AdminRepository.tokenHash(FirstVisitFlow.statePrefix + started.state)))
            #expect(keys.contains(AdminRepository.tokenHash(FirstVisitFlow.ticketPrefix + token)))
            #expect(!keys.contains { $0.contains(started.state) || $0.contains(token) || $0.hasPrefix("oauth.") })
        }
    }
}

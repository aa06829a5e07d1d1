import ArgumentParser
import FeishuEmulator
import Foundation
import Hummingbird
import Logging

extension Yunqiao {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Try Yunqiao without a Feishu tenant: starts the emulator with a sample org and shows how to use it.")

        @Option(help: "Port of the emulator.")
        var port = 8787

        func run() async throws {
            Yunqiao.bootstrapLogging(default: .warning)
            let configuration = EmulatorConfiguration(
                port: port, org: .generated(users: 200, departments: 24), rateLimit: true, latency: .milliseconds(30))
            let emulator = Emulator(configuration: configuration)
            let size = await emulator.state.orgSize
            guard let app = await emulator.state.appCredentials.first else { return }
            try await emulator.application { port in
                let base = "http://127.0.0.1:\(port)"
                say("""
                    Yunqiao demo
                      Feishu emulator   \(base)  (\(size.departments) departments, \(size.users) users, rate limits on)
                      App               \(app.appID) / \(app.appSecret)

                    Try it:
                      TOKEN=$(curl -s -X POST \(base)/open-apis/auth/v3/tenant_access_token/internal \\
                        -d '{"app_id":"\(app.appID)","app_secret":"\(app.appSecret)"}' | sed 's/.*"tenant_access_token":"\\([^"]*\\)".*/\\1/')
                      curl -s -H "Authorization: Bearer $TOKEN" '\(base)/open-apis/contact/v3/departments/0/children?page_size=50'
                      curl -s '\(base)/_emulator/state?org=false'

                    Press Ctrl-C to stop.
                    listening on \(base)
                    """)
            }.runService()
        }
    }
}

import ArgumentParser
import Foundation
import YunqiaoStore
import YunqiaoServices
import YunqiaoCore

/// Where the database is: `--database`, else `YUNQIAO_DATABASE`, else `./yunqiao.sqlite`.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "SQLite database file (default: $YUNQIAO_DATABASE or ./yunqiao.sqlite).")
    var database: String?

    var path: String { database ?? ProcessInfo.processInfo.environment["YUNQIAO_DATABASE"] ?? "yunqiao.sqlite" }

    func open() throws -> YunqiaoDatabase { try YunqiaoDatabase.open(path: path) }
}

extension Yunqiao {
    struct Enterprise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the Feishu / Lark enterprises the bridge integrates (飞书集成).",
            subcommands: [Add.self, List.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add an enterprise and its first app.")

            @OptionGroup var store: DatabaseOptions
            @Option(help: "Enterprise name (企业名称).") var name: String
            @Option(help: "feishu or lark.") var brand = "feishu"
            @Option(name: .customLong("base-url"), help: "API base; defaults to the brand's (open.feishu.cn / open.larksuite.com).")
            var baseURL: String?
            @Option(name: .customLong("app-id"), help: "App ID (cli_…).") var appID: String
            @Option(name: .customLong("app-secret"), help: "App Secret (stored encrypted).") var appSecret: String
            @Option(name: .customLong("app-name"), help: "A name for the app.") var appName = ""

            func validate() throws {
                guard ["feishu", "lark"].contains(brand) else { throw ValidationError("--brand must be feishu or lark") }
            }

            func run() async throws {
                let database = try store.open()
                let tenant = try await database.integration.tenant()
                let base = baseURL ?? (brand == "lark" ? "https://open.larksuite.com" : "https://open.feishu.cn")
                let enterprise = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: name, brand: brand, baseURL: base)
                let app = try await database.integration.addApp(enterpriseId: enterprise.id ?? 0, name: appName, appID: appID, appSecret: appSecret)
                say("added enterprise \(enterprise.name) (\(brand), \(base)) with app \(app.appID), secret \(maskSecret(appSecret))")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List enterprises and their apps.")
            @OptionGroup var store: DatabaseOptions

            func run() async throws {
                let database = try store.open()
                let tenant = try await database.integration.tenant()
                for enterprise in try await database.integration.enterprises(tenantId: tenant.id ?? 0) {
                    say("\(enterprise.name)  \(enterprise.brand)  \(enterprise.baseURL)")
                    for app in try await database.integration.apps(enterpriseId: enterprise.id ?? 0) {
                        say("  app \(app.appID)  \(app.name)  secret \(maskSecret((try? database.integration.secret(of: app)) ?? ""))")
                    }
                }
            }
        }
    }
}

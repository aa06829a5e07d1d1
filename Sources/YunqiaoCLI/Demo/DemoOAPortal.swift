import Foundation
import Hummingbird
import NIOCore
import YunqiaoCore
import YunqiaoStore

/// The pages of the demo's tiny OA (served beside its quick-approval webhook): its homepage `/portal` — the demo's OA
/// homepage app, where a Feishu user lands after the first visit — and `/portal/items/{id}`, the OA items the sample
/// messages link to. It signs people in through the bridge's OpenID Connect provider (``DemoOASignIn``), and also
/// shows the bridge's most recent binding.
actor DemoOAPortal {
    /// An OA item the sample messages open.
    struct Item: Sendable {
        var id: String
        var title: String
        var lines: [String]
    }

    static let items = [
        Item(id: "demo-daily-report-1", title: "日报：云桥演示", lines: ["完成：消息推送演示", "明日：快捷审批"]),
        Item(id: DemoPush.todoId, title: "差旅申请：上海 3 天", lines: ["目的地：上海", "事由：客户拜访", "天数：3"]),
    ]

    private var store: YunqiaoDatabase?
    private var enterpriseId: Int64 = 0
    private var console: String?
    private var home: String?
    /// The OA's own sign-in, through the bridge's OpenID Connect provider.
    nonisolated let signIn = DemoOASignIn()

    /// What the pages show once the bridge is set up: its store, the demo enterprise, the console and the app's homepage URL.
    func configure(store: YunqiaoDatabase, enterpriseId: Int64, console: String, home: String?) {
        self.store = store
        self.enterpriseId = enterpriseId
        self.console = console
        self.home = home
    }

    /// `GET /portal` and `GET /portal/items/{id}` (`/` sends to the homepage).
    nonisolated func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Response.redirect(to: "/portal", type: .found) }
        router.get("portal") { request, _ in Self.html(await self.homePage(signedIn: await self.signIn.signedIn(request))) }
        router.get("portal/login") { _, _ in await self.signIn.start() }
        router.get("portal/logout") { request, _ in await self.signIn.logout(request) }
        router.get("portal/oidc/callback") { request, _ in
            let query = request.uri.queryParameters
            return await self.signIn.callback(code: query.get("code"), state: query.get("state"), error: query.get("error"))
        }
        router.get("portal/items/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            guard let item = Self.items.first(where: { $0.id == id }) else {
                return Self.html(Self.page(title: "未找到 · Not found", body: "<p>演示 OA 没有这个事项：\(Self.escape(id))</p>"
                    + #"<p><a href="/portal">返回 OA 门户</a></p>"#), status: .notFound)
            }
            return Self.html(Self.itemPage(item))
        }
    }

    private func homePage(signedIn: (name: String, login: String)?) async -> String {
        var body = "<p>这是演示 OA 的门户首页：云桥应用「OA 门户」的主页型应用指向这里。飞书用户从应用进入、由云桥确认身份（绑定）后到达此页。</p>"
        body += #"<p class="en">The demo OA's homepage: the app's OA homepage app points here. A Feishu user lands here after the bridge has "#
            + "checked who they are (their binding).</p>"
        if let signedIn {
            body += #"<section id="oa-session"><h2>已登录 · Signed in</h2><p><strong id="oa-session-name">\#(Self.escape(signedIn.name))</strong> "#
                + #"<code id="oa-session-login">\#(Self.escape(signedIn.login))</code> — 通过云桥的 OpenID Connect 登录 · signed in through the bridge "#
                + #"(OpenID Connect)</p><p><a href="/portal/logout" id="oa-logout">退出 · Sign out</a></p></section>"#
        } else {
            body += #"<section id="oa-session"><p><a href="/portal/login" id="oa-login">用飞书登录 · Sign in with Feishu</a> "#
                + #"<span class="hint">（OA 的登录：经云桥的 OpenID Connect，用飞书确认身份，首次登录时绑定 OA 账号）</span></p></section>"#
        }
        if let binding = await latestBinding() {
            let name = Self.escape(binding.oaName ?? binding.binding.oaUserID)
            let login = Self.escape(binding.oaLoginID ?? "")
            let feishu = Self.escape(binding.feishuName ?? binding.binding.unionID)
            body += #"<section id="signed-in"><h2>最近进入的用户 · Latest arrival</h2>"#
                + #"<p><strong id="signed-in-name">\#(name)</strong> <code id="signed-in-login">\#(login)</code> ⇄ 飞书 \#(feishu)"#
                + " · \(Self.escape(Self.method(binding.binding.method))) · \(Self.time(binding.binding.createdAt))</p>"
                + #"<p class="hint">这里显示云桥最近一次绑定的用户，不一定是你；本 OA 的登录（用飞书登录，经云桥的 OpenID Connect）见上方。"#
                + " This is the bridge's latest binding, not necessarily you; the OA's own sign-in (through the bridge's OpenID Connect) is above.</p></section>"
        } else {
            body += #"<section id="signed-in"><p class="hint">还没有用户通过飞书绑定。No one has bound through Feishu yet.</p></section>"#
        }
        body += "<h2>待办与消息 · Items</h2><ul>"
        for item in Self.items {
            body += #"<li><a href="/portal/items/\#(Self.escape(item.id))">\#(Self.escape(item.title))</a></li>"#
        }
        body += "</ul><h2>云桥 · The bridge</h2><ul>"
        if let home { body += #"<li><a href="\#(Self.escape(home))">从飞书打开应用（应用主页地址）· Open the app as from Feishu</a></li>"# }
        if let console { body += #"<li><a href="\#(Self.escape(console))/console">云桥管理后台 · The bridge's console</a></li>"# }
        body += "</ul>"
        return Self.page(title: "OA 门户（演示）· Demo OA", body: body)
    }

    /// The binding made last in the demo enterprise, with names.
    private func latestBinding() async -> BindingEntry? {
        guard let store else { return nil }
        let entries = (try? await store.bindings.bindingEntries(enterpriseId: enterpriseId, limit: nil).entries) ?? []
        return entries.max { $0.binding.createdAt < $1.binding.createdAt }
    }

    private static func itemPage(_ item: Item) -> String {
        let lines = item.lines.map { "<li>\(escape($0))</li>" }.joined()
        return page(title: item.title, body: #"<p class="hint">演示 OA 的事项 <code>\#(escape(item.id))</code>：示例消息的“在 OA 中查看”打开这里。"#
            + #" The OA item the sample message opens.</p><ul id="item-lines">\#(lines)</ul><p><a href="/portal">返回 OA 门户 · Back</a></p>"#)
    }

    private static func method(_ method: String) -> String {
        ["manual": "首次访问时登录 OA 绑定", "auto": "自动绑定", "card": "用户卡片绑定", "import": "关联导入"][method] ?? method
    }

    private static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
        <title>\(escape(title))</title>
        <style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:760px;margin:0 auto;padding:24px;color:#1f2329}
        header{background:#3370ff;color:#fff;margin:-24px -24px 24px;padding:16px 24px}header p{margin:4px 0 0;opacity:.85}
        h1{margin:0;font-size:22px}h2{font-size:17px;margin-top:28px}.hint,.en{color:#646a73;font-size:14px}
        #signed-in{border:1px solid #dee0e3;border-radius:8px;padding:4px 16px;background:#f5f6f7}a{color:#245bdb}</style></head>
        <body><header><h1 id="oa-title">\(escape(title))</h1><p>云桥演示用的 OA · the demo's OA</p></header>
        <main>\(body)</main></body></html>
        """
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

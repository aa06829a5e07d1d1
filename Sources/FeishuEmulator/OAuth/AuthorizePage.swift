import Foundation

/// The HTML of the authorize page (`GET /open-apis/authen/v1/authorize`): "log in as" with the tenant's users, or an
/// error; and the redirect back to the app.
enum AuthorizePage {
    /// The page lists at most this many users; a search narrows the list.
    static let userLimit = 50

    /// An error page: `Error <code>: <message>` (or the message alone), HTTP 400 unless told.
    static func error(code: Int?, message: String, status: Int = 400, title: String = "Authorization failed") -> EmulatorResponse {
        let text = code.map { "Error \($0): \(message)" } ?? message
        let body = """
            <h1>\(HTML.escape(title))</h1>
            <p class="error">\(HTML.escape(text))</p>
            <p class="note">Feishu emulator — the real platform shows its own error page here.</p>
            """
        return EmulatorResponse(status: status, body: .html(Self.page(title: title, body: body)))
    }

    static func login(_ call: APICall, query: [String: [String]], appID: String, scopes: [String], search: String?, org: Org)
        -> EmulatorResponse
    {
        let path = String(call.endpoint.rawValue.drop { $0 != " " }.dropFirst())
        // Every parameter of the request except the page's own, in a stable order.
        let kept = query.keys.sorted().filter { $0 != "q" && $0 != "login_as" }.flatMap { name in
            (query[name] ?? []).map { (name, $0) }
        }
        let listing = Self.userListing(org: org, appID: appID, search: search) { user, openID in
            let href = path + "?" + FormURLEncoded.encode(kept + [("login_as", openID)])
            return "<a class=\"login\" href=\"\(HTML.escape(href))\" data-open-id=\"\(HTML.escape(openID))\">Log in as \(HTML.escape(user.name))</a>"
        }
        let hidden = kept.map { "<input type=\"hidden\" name=\"\(HTML.escape($0.0))\" value=\"\(HTML.escape($0.1))\">" }
            .joined(separator: "")
        let scopeText = scopes.isEmpty ? "(none requested)" : scopes.joined(separator: " ")
        let body = """
            <h1>Log in as</h1>
            <p>App <code>\(HTML.escape(appID))</code> asks to sign you in to <strong>\(HTML.escape(org.tenantName))</strong>.
            Scopes: <code>\(HTML.escape(scopeText))</code>. After choosing, you return to
            <code>\(HTML.escape(query["redirect_uri"]?.last ?? ""))</code>.</p>
            <form method="get" action="\(HTML.escape(path))">\(hidden)
            <input type="search" name="q" value="\(HTML.escape(search ?? ""))" placeholder="name, mobile, email, user_id" autofocus>
            <button type="submit">Search</button></form>
            \(listing)
            <p class="note">Feishu emulator: no password, pick anyone. Tests can skip this page with
            <code>&amp;login_as=&lt;open_id|union_id|user_id|mobile&gt;</code>.</p>
            """
        return EmulatorResponse(status: 200, body: .html(Self.page(title: "Log in — Feishu emulator", body: body)),
                                headers: [("Cache-Control", "no-store")])
    }

    /// The tenant's users a login page offers (the authorize page, the QR login's phone): not resigned, narrowed by
    /// `search` (name, English name, mobile, email, user_id, employee number), in org order, at most ``userLimit``
    /// rows. The last cell of a frozen user says so; of everyone else it is `action(user, open_id of appID)`.
    /// Answers the summary line and the table.
    static func userListing(org: Org, appID: String, search: String?, action: (User, String) -> String) -> String {
        let needle = search?.lowercased().trimmingCharacters(in: .whitespaces) ?? ""
        func matches(_ user: User) -> Bool {
            user.name.lowercased().contains(needle) || user.mobile.contains(needle) || user.userID.lowercased().contains(needle)
                || user.enName.lowercased().contains(needle) || user.email.lowercased().contains(needle)
                || user.employeeNo.lowercased().contains(needle)
        }
        // Only (sequence, key) pairs are collected and sorted: the page must stay quick for 100 000 users.
        var found: [(sequence: Int, key: Int)] = []
        for (key, user) in org.users where !user.status.isResigned && (needle.isEmpty || matches(user)) {
            found.append((user.sequence, key))
        }
        let total = found.count
        found.sort { $0.sequence < $1.sequence }

        var rows = ""
        for user in found.prefix(Self.userLimit).compactMap({ org.users[$0.key] }) {
            let department = user.departments.first.map { id in
                id == rootDepartment ? org.tenantName : org.departments[id]?.name ?? ""
            } ?? ""
            let cell = user.status.isFrozen
                ? "<span class=\"frozen\">frozen</span>"
                : action(user, org.openID(of: user.key, app: appID))
            let englishName = user.enName.isEmpty ? "" : " <span class=\"en\">(\(HTML.escape(user.enName)))</span>"
            rows += """
                <tr><td>\(HTML.escape(user.name))\(englishName)</td><td>\(HTML.escape(department))</td>\
                <td>\(HTML.escape(user.mobile))</td><td>\(HTML.escape(user.email))</td><td>\(cell)</td></tr>

                """
        }
        let shown = min(total, Self.userLimit)
        let summary = total > shown
            ? "\(total) users match; showing the first \(shown). Search to narrow the list."
            : "\(total) user\(total == 1 ? "" : "s")."
        return """
            <p class="summary">\(HTML.escape(summary))</p>
            <table><thead><tr><th>Name</th><th>Department</th><th>Mobile</th><th>Email</th><th></th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            """
    }

    /// The emulator's page shell around `body`.
    static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>\(HTML.escape(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2329}
        table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #dee0e3}
        a.login,button.confirm{color:#3370ff}button.confirm{white-space:nowrap}
        .error{color:#d83931}.note,.summary,.en{color:#646a73}.frozen{color:#8f959e}
        input[type=search]{width:20rem;padding:.3rem}</style></head>
        <body>
        \(body)
        </body></html>
        """
    }

    /// An absolute URL with a scheme (`https://app.example.com/cb`, `http://127.0.0.1:8080/cb`, `myapp://cb`).
    static func isValidRedirectURI(_ uri: String) -> Bool {
        guard let components = URLComponents(string: uri), let scheme = components.scheme, !scheme.isEmpty else { return false }
        return uri.contains("://")
    }

    /// `redirect_uri` plus `code` and `state`; a `#fragment` of the redirect URI stays at the end.
    static func redirectLocation(_ redirectURI: String, code: String, state: String?) -> String {
        let parts = redirectURI.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        var base = String(parts[0])
        if !base.contains("?") {
            base += "?"
        } else if !base.hasSuffix("?") && !base.hasSuffix("&") {
            base += "&"
        }
        var pairs = [("code", code)]
        if let state { pairs.append(("state", state)) }
        base += FormURLEncoded.encode(pairs)
        return parts.count > 1 ? base + "#" + parts[1] : base
    }
}

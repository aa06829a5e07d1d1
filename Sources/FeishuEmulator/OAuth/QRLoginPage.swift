import Crypto
import Foundation

/// The HTML of the QR login (`feishu-api.md` §2.7): the frame the SDK's iframe shows (a QR code that polls its
/// session and posts the `tmp_code` to the parent page), and the "phone" that scans and confirms.
enum QRLoginPage {
    static let framePath = "/suite/passport/sso/qr"
    static let pollPath = "/suite/passport/sso/qr/poll"
    static let scanPath = "/suite/passport/sso/scan"

    /// The phone page of a session.
    static func scanURL(_ id: String) -> String { scanPath + "?" + FormURLEncoded.encode([("qr", id)]) }

    // MARK: the frame

    /// The QR frame of session `id`: the code, the caption, a link to the phone page, and a script that polls every
    /// second and, once confirmed, posts the `tmp_code` to the parent once (`{source: "qrcode", tmp_code}`, or the bare
    /// string for `rawCode`). `refresh` reloads the frame (a new session).
    static func frame(id: String, rawCode: Bool, refresh: String) -> EmulatorResponse {
        let scan = scanURL(id)
        let body = """
            <div id="emulator-qr" data-qr="\(HTML.escape(id))">\(qrSVG(id))</div>
            <p class="caption">用飞书扫码登录<br><span class="en">Scan with Feishu</span></p>
            <p id="status" class="status" role="status"></p>
            <p class="links"><a id="emulator-scan" href="\(HTML.escape(scan))" target="_blank" rel="noopener">模拟手机扫码 / Open the phone</a>
            <a id="emulator-refresh" href="\(HTML.escape(refresh))" hidden>刷新 / Refresh</a></p>
            <script>
            (function () {
              "use strict";
              var qr = \(scriptLiteral(id));
              var rawCode = \(rawCode ? "true" : "false");
              var posted = false;
              var status = document.getElementById("status");
              function show(text, kind) {
                status.textContent = text;
                status.className = "status " + kind;
              }
              function finish(answer) {
                if (!posted) {
                  posted = true;
                  var message = rawCode ? answer.tmp_code : { source: "qrcode", tmp_code: answer.tmp_code };
                  window.parent.postMessage(message, "*");
                }
                show("已确认 / Confirmed", "confirmed");
              }
              function expire() {
                show("二维码已失效 / The QR code has expired", "expired");
                document.getElementById("emulator-qr").className = "faded";
                document.getElementById("emulator-refresh").hidden = false;
              }
              function poll() {
                fetch(\(scriptLiteral(pollPath)) + "?qr=" + encodeURIComponent(qr), { cache: "no-store", credentials: "same-origin" })
                  .then(function (response) { return response.json(); })
                  .then(function (answer) {
                    if (answer.status === "confirmed" && answer.tmp_code) { finish(answer); return; }
                    if (answer.status === "expired") { expire(); return; }
                    if (answer.status === "scanned") { show("已扫码，请在手机上确认 / Scanned: confirm on the phone", "scanned"); }
                    window.setTimeout(poll, 1000);
                  })
                  .catch(function () { window.setTimeout(poll, 1000); });
              }
              window.setTimeout(poll, 1000);
            })();
            </script>
            """
        return EmulatorResponse(status: 200, body: .html(framePage(body)), headers: [("Cache-Control", "no-store")])
    }

    /// The frame when its `goto` is not usable: the reason, inside the frame.
    static func frameError(_ message: String) -> EmulatorResponse {
        let body = """
            <p class="status expired">二维码加载失败 / Cannot show a QR code</p>
            <p class="error">\(HTML.escape(message))</p>
            """
        return EmulatorResponse(status: 400, body: .html(framePage(body)), headers: [("Cache-Control", "no-store")])
    }

    private static func framePage(_ body: String) -> String {
        """
        <!doctype html>
        <html lang="zh"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>飞书扫码登录 — Feishu emulator</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>html,body{margin:0;height:100%;overflow:hidden}[hidden]{display:none!important}
        body{font:13px/1.4 system-ui,sans-serif;color:#1f2329;text-align:center;
        display:flex;flex-direction:column;align-items:center;justify-content:center}
        #emulator-qr svg{width:min(200px,60vmin);height:min(200px,60vmin);display:block}.faded{opacity:.15}
        p{margin:.3rem .5rem}.en,.links a{color:#646a73;font-size:12px}.links a{display:block}
        .status{min-height:1.2em;font-weight:600}.confirmed{color:#2ea121}.expired,.error{color:#d83931}.scanned{color:#3370ff}</style>
        </head>
        <body>
        \(body)
        </body></html>
        """
    }

    /// A JavaScript string literal safe inside a `<script>` element.
    private static func scriptLiteral(_ text: String) -> String {
        JSON.string(text).serialized.replacingOccurrences(of: "<", with: "\\u003c")
    }

    // MARK: the picture

    /// A QR-looking 25×25 SVG derived from `seed` (SHA-256 bits, with the three finder squares): deterministic per
    /// session, not a scannable code.
    static func qrSVG(_ seed: String) -> String {
        let size = 25
        var bytes: [UInt8] = []
        var round = 0
        while bytes.count * 8 < size * size {
            bytes += SHA256.hash(data: Data("\(seed):\(round)".utf8))
            round += 1
        }
        func finder(_ x: Int, _ y: Int) -> Bool? {
            for (left, top) in [(0, 0), (size - 7, 0), (0, size - 7)] {
                // The 7×7 square, its 1-module light margin inside the code, and the 3×3 centre.
                guard (left - 1...left + 7).contains(x), (top - 1...top + 7).contains(y) else { continue }
                let dx = x - left, dy = y - top
                guard (0...6).contains(dx), (0...6).contains(dy) else { return false }
                return dx == 0 || dx == 6 || dy == 0 || dy == 6 || ((2...4).contains(dx) && (2...4).contains(dy))
            }
            return nil
        }
        var path = ""
        for y in 0..<size {
            for x in 0..<size {
                let index = y * size + x
                let dark = finder(x, y) ?? ((bytes[index / 8] >> (index % 8)) & 1 == 1)
                if dark { path += "M\(x) \(y)h1v1h-1z" }
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 29 29" role="img" aria-label="QR code" shape-rendering="crispEdges">\
            <rect x="-2" y="-2" width="29" height="29" fill="#fff"/><path fill="#1f2329" d="\(path)"/></svg>
            """
    }

    // MARK: the phone

    /// The phone after scanning: the tenant's users (as on the authorize page), each with a button that confirms the
    /// login as them (`POST /suite/passport/sso/scan`, form `qr` and `login_as`).
    static func scan(id: String, appID: String, search: String?, org: Org) -> EmulatorResponse {
        let listing = AuthorizePage.userListing(org: org, appID: appID, search: search) { user, openID in
            """
            <form method="post" action="\(scanPath)" class="confirm"><input type="hidden" name="qr" value="\(HTML.escape(id))">\
            <input type="hidden" name="login_as" value="\(HTML.escape(openID))">\
            <button type="submit" class="confirm" data-open-id="\(HTML.escape(openID))">\
            确认登录 / Confirm as \(HTML.escape(user.name))</button></form>
            """
        }
        let body = """
            <h1>确认登录 / Confirm the login</h1>
            <p>The QR code of app <code>\(HTML.escape(appID))</code> asks to sign you in to
            <strong>\(HTML.escape(org.tenantName))</strong>. Choose who is holding the phone.</p>
            <form method="get" action="\(scanPath)"><input type="hidden" name="qr" value="\(HTML.escape(id))">
            <input type="search" name="q" value="\(HTML.escape(search ?? ""))" placeholder="name, mobile, email, user_id" autofocus>
            <button type="submit">Search</button></form>
            \(listing)
            <p class="note">Feishu emulator: this page plays the Feishu app on the phone. Tests can confirm directly with
            <code>&amp;login_as=&lt;open_id|union_id|user_id|mobile&gt;</code>.</p>
            """
        return EmulatorResponse(status: 200, body: .html(AuthorizePage.page(title: "扫码登录 — Feishu emulator", body: body)),
                                headers: [("Cache-Control", "no-store")])
    }

    /// The phone after confirming.
    static func confirmed(userName: String) -> EmulatorResponse {
        let body = """
            <h1 id="emulator-confirmed">已在手机上确认登录 / Confirmed on the phone</h1>
            <p>Logged in as <strong>\(HTML.escape(userName))</strong>. The page showing the QR code continues the login.</p>
            """
        return EmulatorResponse(status: 200, body: .html(AuthorizePage.page(title: "已确认 — Feishu emulator", body: body)),
                                headers: [("Cache-Control", "no-store")])
    }

    /// The phone cannot use the session: 404 for an unknown one, 400 for an expired or already confirmed one.
    static func refused(_ refusal: QRLoginState.Refusal) -> EmulatorResponse {
        switch refusal {
        case .unknown:
            AuthorizePage.error(code: nil, message: "二维码不存在 / No such QR code.", status: 404, title: "QR login failed")
        case .expired:
            AuthorizePage.error(code: nil, message: "二维码已失效 / The QR code has expired.", title: "QR login failed")
        case .alreadyConfirmed:
            AuthorizePage.error(code: nil, message: "二维码已使用 / This QR code was already confirmed.", title: "QR login failed")
        }
    }
}

import Foundation

/// The JS SDK part of the operator's side door:
///
/// - `POST /_emulator/jssdk/config {app_id, url, timestamp, nonce_str, signature}`: what a Feishu client decides when
///   the page at `url` calls `h5sdk.config({appId, timestamp, nonceStr, signature})` — `{"ok": true}` when the
///   signature is right for a ticket the app holds (not expired), else `{"ok": false, "reason": "…"}`. The emulator
///   has no H5 trusted domains: the page's host is not checked.
/// - `GET /_emulator/jssdk` the tickets issued so far and each app's current ticket (also under `jssdk` in
///   `/_emulator/state`).
extension EmulatorState {
    func handleJSSDKAdmin(method: String, path: String, json: JSON?) -> EmulatorResponse? {
        switch (method, path) {
        case ("GET", "/_emulator/jssdk"):
            return .ok(jssdk.summaryJSON(now: admin.now))
        case ("POST", "/_emulator/jssdk/config"):
            var fields: [String: String] = [:]
            for name in ["app_id", "url", "timestamp", "nonce_str", "signature"] {
                // The timestamp may come as a number, as `h5sdk.config` takes it.
                guard let value = json?[name]?.stringValue, !value.isEmpty else { return .adminError(name, "required") }
                fields[name] = value
            }
            let appID = fields["app_id"] ?? ""
            guard admin.apps[appID] != nil else { return .adminError("app_id", "no app \(appID)") }
            if let reason = jssdk.refusal(appID: appID, url: fields["url"] ?? "", timestamp: fields["timestamp"] ?? "",
                                          nonceStr: fields["nonce_str"] ?? "", signature: fields["signature"] ?? "", now: admin.now)
            {
                return .ok(["ok": false, "reason": .string(reason)])
            }
            return .ok(["ok": true])
        default:
            return nil
        }
    }
}

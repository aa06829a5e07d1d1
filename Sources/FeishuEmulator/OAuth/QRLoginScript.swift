import Foundation

/// The emulator's `LarkSSOSDKWebQRCode-<version>.js` (`feishu-api.md` §2.7), served at
/// `/obj/feishu-static/lark/passport/qrcode/`: `window.QRLogin({id, goto, width, height, style})` renders the QR
/// iframe in the element `id` and returns `{matchOrigin, matchData}`, as the real SDK does.
enum QRLoginScript {
    /// The SDK versions the emulator serves; with 1.0.3 the frame posts `{source: "qrcode", tmp_code}`, with the
    /// older ones the bare `tmp_code` string.
    static let versions = ["1.0.1", "1.0.2", "1.0.3"]
    static let currentVersion = "1.0.3"

    /// The version named by a script file name (`LarkSSOSDKWebQRCode-1.0.3.js`), nil for any other file.
    static func version(ofFile name: String) -> String? {
        versions.first { name == "LarkSSOSDKWebQRCode-\($0).js" }
    }

    /// Whether the frame of this SDK version posts the bare `tmp_code` string.
    static func postsRawCode(_ version: String) -> Bool { version != currentVersion }

    /// The script. Its origin is taken from its own `src` (`document.currentScript`, read while it runs, which also
    /// holds for `defer` and for scripts inserted by code); `fallbackOrigin` (from the request's Host) is used only
    /// when that is not available.
    static func source(version: String, fallbackOrigin: String) -> String {
        let rawData = postsRawCode(version) ? "true" : "false"
        return """
            /* LarkSSOSDKWebQRCode-\(version).js as the Feishu emulator serves it (feishu-api.md §2.7). */
            (function () {
              "use strict";
              var version = \(JSON.string(version).serialized);
              var rawData = \(rawData);
              var fallbackOrigin = \(JSON.string(fallbackOrigin).serialized);
              var script = document.currentScript;
              var origin = fallbackOrigin;
              try {
                if (script && script.src) { origin = new URL(script.src, window.location.href).origin; }
              } catch (ignored) {
                origin = fallbackOrigin;
              }

              function frameSource(gotoURL) {
                return origin + "/suite/passport/sso/qr?goto=" + encodeURIComponent(gotoURL || "") +
                  "&sdk_version=" + encodeURIComponent(version);
              }

              function size(value) {
                return value === undefined || value === null || value === "" ? "300" : String(value);
              }

              window.QRLogin = function (options) {
                var settings = options || {};
                var container = settings.id ? document.getElementById(settings.id) : null;
                var frame = document.createElement("iframe");
                frame.setAttribute("src", frameSource(settings.goto));
                frame.setAttribute("width", size(settings.width));
                frame.setAttribute("height", size(settings.height));
                frame.setAttribute("frameborder", "0");
                frame.setAttribute("scrolling", "no");
                frame.setAttribute("style", "border:none;" + (settings.style ? String(settings.style) : ""));
                frame.setAttribute("data-emulator-qrlogin", version);
                if (container) {
                  var previous = container.querySelectorAll("iframe[data-emulator-qrlogin]");
                  for (var index = 0; index < previous.length; index += 1) {
                    previous[index].parentNode.removeChild(previous[index]);
                  }
                  container.appendChild(frame);
                }
                return {
                  matchOrigin: function (candidate) {
                    return candidate === origin;
                  },
                  matchData: function (data) {
                    if (rawData) {
                      return typeof data === "string" && data.length > 0;
                    }
                    return data !== null && typeof data === "object" && data.source === "qrcode" &&
                      typeof data.tmp_code === "string" && data.tmp_code.length > 0;
                  }
                };
              };
            })();

            """
    }
}

// 扫码登录 on an OA's login page: a "飞书扫码登录" entry at the top right that opens the sign-in given in the script
// tag's `data-href` (the OA's OIDC sign-in, the bridge's CAS login with the OA's service URL, or the bridge's QR page).
//   <script src="https://bridge.example.com/static/qr-login-embed.js" data-href="https://oa.example.com/sso/feishu" defer></script>
// `data-label` replaces the words; `data-target="#id"` puts the entry inside that element instead of the corner.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var href = script.getAttribute("data-href");
  if (!href || !/^(https?:\/\/|\/)/i.test(href)) return;
  function place() {
    var link = document.createElement("a");
    link.href = href;
    link.id = "yunqiao-qr-login";
    link.textContent = script.getAttribute("data-label") || "飞书扫码登录";
    var target = script.getAttribute("data-target");
    var parent = target ? document.querySelector(target) : null;
    if (!parent) {
      link.style.cssText = "position:fixed;top:16px;right:16px;padding:8px 14px;border-radius:6px;background:#3370ff;" +
        "color:#fff;font:14px system-ui,sans-serif;text-decoration:none;z-index:2147483647";
      parent = document.body;
    }
    parent.appendChild(link);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", place); else place();
})();

// 扫码登录: draws Feishu's QR code with its SDK (LarkSSOSDKWebQRCode, loaded before this script) in #qr-box and, when
// the phone has confirmed, sends the browser to the authorize URL (`data-goto`) with the temporary code. Only a
// message from the SDK's own frame, carrying the SDK's data, is taken.
(function () {
  "use strict";
  var box = document.getElementById("qr-box");
  if (!box) return;
  var goto = box.getAttribute("data-goto");
  if (typeof window.QRLogin !== "function" || !goto) {
    var failed = document.getElementById("qr-error");
    if (failed) failed.hidden = false;
    return;
  }
  var login = window.QRLogin({ id: "qr-box", goto: goto, width: "300", height: "300", style: "width:300px;height:300px;border:0" });
  var done = false;
  window.addEventListener("message", function (event) {
    if (done || !login.matchOrigin(event.origin) || !login.matchData(event.data)) return;
    var code = typeof event.data === "string" ? event.data : event.data.tmp_code;
    if (typeof code !== "string" || code === "") return;
    done = true;
    window.location.href = goto + "&tmp_code=" + encodeURIComponent(code);
  });
})();

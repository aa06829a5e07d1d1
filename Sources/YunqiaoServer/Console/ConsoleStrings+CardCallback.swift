import YunqiaoServices
extension ConsoleStrings {
    /// The words of an app's card callback settings (quick approval of todo cards).
    static let cardCallback = Table(
        zh: [
            "field_cardCallback": "消息卡片回调（待办快捷审批）",
            "app_callback_credentials_help": "从飞书开放平台该应用的【开发配置】→【事件与回调】→【加密策略】复制 Verification Token 和 Encrypt Key 填入此处。云桥用它们校验卡片回调的来源；未填写 Verification Token 时卡片回调一律拒绝。加密保存，不会再显示。",
            "field_verificationToken": "Verification Token",
            "field_encryptKey": "Encrypt Key",
            "app_credential_keep": "留空则保留已保存的值。",
            "app_credential_not_set": "未设置",
            "app_card_callback_url": "消息卡片请求网址",
            "howto_card_callback": "使用待办快捷审批时：在【事件与回调】→【加密策略】中设置 Encrypt Key，并把 Verification Token 和 Encrypt Key 填入本应用；在【回调配置】中选择“将回调发送至开发者服务器”，请求地址填写上面的消息卡片请求网址，并添加回调【卡片回传交互】。",
            "app_card_callback_token_unset": "尚未填写 Verification Token：卡片回调会被拒绝。",
            "app_card_callback_key_unset": "尚未填写 Encrypt Key：请在飞书中设置 Encrypt Key 并填入本应用，回调才会加密并签名。",
            "msg.at most 256 characters": "最多 256 个字符",
        ],
        en: [
            "field_cardCallback": "Card callbacks (quick approval of todos)",
            "app_callback_credentials_help": "Copy the Verification Token and the Encrypt Key from the app's Development Configuration → Events & Callbacks → Encryption Strategy in the Feishu developer console. The bridge checks card callbacks with them; without a Verification Token every card callback is refused. Stored encrypted and never shown again.",
            "field_verificationToken": "Verification Token",
            "field_encryptKey": "Encrypt Key",
            "app_credential_keep": "Leave empty to keep the stored value.",
            "app_credential_not_set": "Not set",
            "app_card_callback_url": "Message card request URL",
            "howto_card_callback": "For quick approval of todos: set an Encrypt Key under Events & Callbacks → Encryption Strategy and enter the Verification Token and the Encrypt Key in this app; under Callback Configuration choose “Send callbacks to developer server”, paste the message card request URL above and add the callback “Card action interaction”.",
            "app_card_callback_token_unset": "No Verification Token yet: card callbacks are refused.",
            "app_card_callback_key_unset": "No Encrypt Key yet: set one in Feishu and enter it here so that callbacks are encrypted and signed.",
        ])
}

/// The console's words in zh-CN (default) and English. Templates read them as `{{t.key}}`.
enum ConsoleStrings {
    static func table(for language: ConsoleLanguage) -> [String: String] {
        switch language {
        case .zh: zh
        case .en: en
        }
    }

    /// Translates an English validation message or warning code when the table knows it.
    static func message(_ text: String, _ language: ConsoleLanguage) -> String {
        table(for: language)["msg." + text] ?? text
    }

    static let zh: [String: String] = [
        "product": "云桥",
        "login_title": "登录云桥管理后台",
        "login_username": "用户名",
        "login_password": "密码",
        "login_submit": "登录",
        "login_failed": "用户名或密码错误",
        "login_throttled": "登录失败次数过多，请稍后再试",
        "logout": "退出",
        "nav_home": "概览",
        "msg.required": "必填",
    ]

    static let en: [String: String] = [
        "product": "Yunqiao",
        "login_title": "Sign in to the Yunqiao console",
        "login_username": "User name",
        "login_password": "Password",
        "login_submit": "Sign in",
        "login_failed": "Wrong user name or password",
        "login_throttled": "Too many failed sign-ins; try again later",
        "logout": "Sign out",
        "nav_home": "Overview",
        "msg.required": "required",
    ]
}

// FeishuKit
enum Placeholder {}

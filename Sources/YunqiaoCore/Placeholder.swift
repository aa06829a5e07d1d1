// YunqiaoCore
enum Placeholder {}

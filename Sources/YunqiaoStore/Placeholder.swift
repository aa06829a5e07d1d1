// YunqiaoStore
enum Placeholder {}

// YunqiaoServer
enum Placeholder {}

// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Yunqiao",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "yunqiao", targets: ["YunqiaoCLI"]),
        .library(name: "YunqiaoCore", targets: ["YunqiaoCore"]),
        .library(name: "FeishuKit", targets: ["FeishuKit"]),
        .library(name: "OAKit", targets: ["OAKit"]),
        .library(name: "YunqiaoStore", targets: ["YunqiaoStore"]),
        .library(name: "YunqiaoServices", targets: ["YunqiaoServices"]),
        .library(name: "YunqiaoServer", targets: ["YunqiaoServer"]),
        .library(name: "FeishuEmulator", targets: ["FeishuEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        .target(
            name: "YunqiaoCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FeishuKit",
            dependencies: [
                // RetryPolicy, the one back-off of the bridge, and JSONNesting, the depth guard of callback bodies (the only Core types FeishuKit uses).
                "YunqiaoCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                // SHA-256/SHA-1 signatures and AES-256-CBC of event and card callbacks (feishu-api.md §6.3, §6.4).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                // The long connection (feishu-longconn.md): its WebSocket client and its protobuf frames.
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "YunqiaoStore",
            dependencies: [
                "YunqiaoCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OAKit",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // HMAC-SHA256 of the quick-approval webhook to the OA (X-Yunqiao-Signature).
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "YunqiaoServices",
            dependencies: [
                "YunqiaoCore", "FeishuKit", "OAKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // NIOThreadPool: DNS lookups (getaddrinfo blocks) for the outbound address check.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Spreadsheets of the OA directory and binding imports (CSV, XLSX).
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                // ID tokens of the OpenID Connect provider (RS256) and their JWKS; RSA keys are made with _CryptoExtras.
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "YunqiaoServer",
            dependencies: [
                "YunqiaoCore", "FeishuKit", "YunqiaoServices", "OAKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                // multipart/form-data bodies of the console's uploads (Import/MultipartForm.swift).
                .product(name: "MultipartKit", package: "multipart-kit"),
                // HMAC-SHA256 of the quick-approval webhook to the OA (X-Yunqiao-Signature).
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/templates"), .copy("Resources/strings"), .copy("Resources/static"), .copy("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FeishuEmulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // Card callbacks: AES-256-CBC of the body and the POST to the app's callback URL (feishu-api.md §6).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The event push runs as a service of the emulator's application.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The long connection's server end (feishu-longconn.md §9).
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "YunqiaoTesting",
            dependencies: [
                "YunqiaoServer", "YunqiaoServices", "YunqiaoStore", "YunqiaoCore", "FeishuKit", "OAKit", "FeishuEmulator",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The OA test double checks X-Yunqiao-Signature on its own.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "YunqiaoCLI",
            dependencies: [
                "YunqiaoServer", "YunqiaoServices", "OAKit", "FeishuEmulator", "FeishuKit", "YunqiaoStore", "YunqiaoCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The demo OA's PKCE challenge (S256).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "YunqiaoCoreTests", dependencies: ["YunqiaoCore"], resources: [.copy("Golden")], swiftSettings: swiftSettings),
        .testTarget(
            name: "FeishuKitTests",
            dependencies: [
                "FeishuKit", "YunqiaoCore", "FeishuEmulator", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // A live stand-in for the bridge's card callback endpoint (emulator click → verifier).
                .product(name: "Hummingbird", package: "hummingbird"),
                // JSAPI signatures written out from the formula, against FeishuKit's.
                .product(name: "Crypto", package: "swift-crypto"),
                // The long connection's frames against the SDK's bytes.
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "YunqiaoStoreTests", dependencies: ["YunqiaoStore", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: swiftSettings),
        .testTarget(
            name: "YunqiaoServerTests",
            dependencies: [
                "YunqiaoServer", "YunqiaoServices", "OAKit", "FeishuEmulator", "YunqiaoTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The test double of the OA's action webhook checks X-Yunqiao-Signature on its own.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                // The OIDC tests verify ID tokens against the JWKS as a relying party would.
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "YunqiaoServicesTests",
            dependencies: [
                "YunqiaoServices", "YunqiaoServer", "YunqiaoTesting", "FeishuEmulator", "OAKit",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FeishuEmulatorTests",
            dependencies: [
                "FeishuEmulator", .product(name: "HummingbirdTesting", package: "hummingbird"),
                // JSAPI signatures written out from the formula, to check the emulator's h5sdk.config check.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

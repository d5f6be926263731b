// swift-tools-version:6.0
import PackageDescription

// Layers, each importing only downward (docs/DESIGN.md):
//   msg-gen -> MSGCLI -> MSGServer -> MSGRender -> MSGGen / MSGImage -> MSGKernels / MSGWeights -> MSGTensor
let engine: [SwiftSetting] = [
    // The engine passes raw buffers between worker threads; Swift 5 mode keeps
    // that free of Sendable wrappers. Everything above it is Swift 6.
    .swiftLanguageMode(.v5),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "msg-gen",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "msg-gen", targets: ["msg-gen"]),
        .library(name: "MSGGen", targets: ["MSGGen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already in the graph through Hummingbird; named for the server's connection handlers.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // MARK: - System libraries (located with pkg-config)
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Animations (walk): libwebp's animation encoder/decoder, giflib, libimagequant palettes.
        .systemLibrary(name: "CWebP", pkgConfig: "libwebpmux", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CGif", pkgConfig: "libgif", providers: [.apt(["libgif-dev"])]),
        .systemLibrary(name: "CImageQuant", pkgConfig: "imagequant", providers: [.apt(["libimagequant-dev"])]),
        // libpng reports errors by longjmp: the setjmp lives in this small C target.
        .target(name: "CMSGPNG", dependencies: ["CPNG", "CZlib"]),
        // Hand-vectorised kernels (AVX-512 chosen at run time, portable C otherwise).
        .target(name: "CMSGKernels", cSettings: [.unsafeFlags(["-O3"])]),

        // MARK: - Swift layers
        .target(name: "MSGTensor"),
        .target(name: "MSGKernels", dependencies: ["MSGTensor", "CBLAS", "CMSGKernels"], swiftSettings: engine),
        .target(name: "MSGWeights", dependencies: ["MSGTensor", "CZlib"]),
        .target(name: "MSGImage", dependencies: ["MSGTensor", "CMSGPNG", "CWebP", "CGif", "CImageQuant"]),
        .target(name: "MSGGen", dependencies: ["MSGTensor", "MSGKernels", "MSGWeights"], swiftSettings: engine),
        // Pictures both front-ends deliver (grid, sheet, mix figure, PNG text): same bytes from CLI and server.
        .target(name: "MSGRender", dependencies: ["MSGGen", "MSGImage", "MSGTensor"]),
        .target(name: "MSGServer", dependencies: [
            "MSGRender", "MSGGen", "MSGImage", "MSGTensor", "MSGWeights",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
        ]),
        .target(name: "MSGCLI", dependencies: [
            "MSGGen", "MSGImage", "MSGWeights", "MSGKernels", "MSGRender", "MSGServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "msg-gen", dependencies: ["MSGCLI", "MSGKernels", "MSGServer"]),

        // MARK: - Fuzz targets (tools/fuzz.sh builds them with libFuzzer; plain builds replay files)
        .executableTarget(name: "FuzzSafetensors", dependencies: ["MSGWeights"]),
        .executableTarget(name: "FuzzPickle", dependencies: ["MSGWeights"]),
        .executableTarget(name: "FuzzZip", dependencies: ["MSGWeights"]),
        .executableTarget(name: "FuzzTorchZip", dependencies: ["MSGWeights", "CZlib"]),
        .executableTarget(name: "FuzzLatents", dependencies: ["MSGImage", "MSGWeights"]),

        // MARK: - Tests
        .testTarget(name: "MSGTensorTests", dependencies: ["MSGTensor"]),
        .testTarget(name: "MSGKernelsTests", dependencies: ["MSGKernels", "MSGTensor"]),
        .testTarget(name: "MSGWeightsTests", dependencies: ["MSGWeights", "MSGTensor"]),
        .testTarget(name: "MSGImageTests", dependencies: ["MSGImage", "MSGTensor"], exclude: ["Fixtures"]),
        .testTarget(name: "MSGGenTests", dependencies: ["MSGGen", "MSGWeights", "MSGKernels", "MSGTensor"], exclude: ["Fixtures"]),
        // A raw loopback HTTP client for the server tests (in-process and as a process).
        .target(name: "LoopbackHTTP", path: "Tests/LoopbackHTTP"),
        .testTarget(name: "MSGCLITests", dependencies: ["MSGCLI", "MSGGen", "MSGWeights", "MSGImage", "MSGKernels", "MSGTensor", "msg-gen", "LoopbackHTTP"]),
        .testTarget(name: "MSGServerTests", dependencies: [
            "MSGServer", "MSGRender", "MSGCLI", "MSGGen", "MSGImage", "MSGKernels", "LoopbackHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
    ]
)

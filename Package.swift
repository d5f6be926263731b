// swift-tools-version:6.0
import PackageDescription

// Layers, each importing only downward (docs/DESIGN.md):
//   msg-gen -> MSGCLI -> MSGGen / MSGImage -> MSGKernels / MSGWeights -> MSGTensor
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
    ],
    targets: [
        // MARK: - System libraries (located with pkg-config)
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libpng reports errors by longjmp: the setjmp lives in this small C target.
        .target(name: "CMSGPNG", dependencies: ["CPNG", "CZlib"]),

        // MARK: - Swift layers
        .target(name: "MSGTensor"),
        .target(name: "MSGKernels", dependencies: ["MSGTensor", "CBLAS"], swiftSettings: engine),
        .target(name: "MSGWeights", dependencies: ["MSGTensor", "CZlib"]),
        .target(name: "MSGImage", dependencies: ["MSGTensor", "CMSGPNG"]),
        .target(name: "MSGGen", dependencies: ["MSGTensor", "MSGKernels", "MSGWeights"], swiftSettings: engine),
        .target(name: "MSGCLI", dependencies: [
            "MSGGen", "MSGImage", "MSGWeights", "MSGKernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "msg-gen", dependencies: ["MSGCLI", "MSGKernels"]),

        // MARK: - Fuzz targets (tools/fuzz.sh builds them with libFuzzer; plain builds replay files)
        .executableTarget(name: "FuzzSafetensors", dependencies: ["MSGWeights"]),
        .executableTarget(name: "FuzzPickle", dependencies: ["MSGWeights"]),
        .executableTarget(name: "FuzzZip", dependencies: ["MSGWeights"]),

        // MARK: - Tests
        .testTarget(name: "MSGTensorTests", dependencies: ["MSGTensor"]),
        .testTarget(name: "MSGKernelsTests", dependencies: ["MSGKernels", "MSGTensor"]),
        .testTarget(name: "MSGWeightsTests", dependencies: ["MSGWeights", "MSGTensor"]),
        .testTarget(name: "MSGImageTests", dependencies: ["MSGImage", "MSGTensor"], exclude: ["Fixtures"]),
        .testTarget(name: "MSGGenTests", dependencies: ["MSGGen", "MSGWeights", "MSGKernels", "MSGTensor"], exclude: ["Fixtures"]),
        .testTarget(name: "MSGCLITests", dependencies: ["MSGCLI", "MSGGen", "MSGWeights", "MSGImage", "MSGTensor", "msg-gen"]),
    ]
)

// swift-tools-version:6.0
// AutoScheme: mixed-precision quantization plans for large language models.
//
// Targets are layered one way (each depends only on targets above it in this list):
//   CGLPK, COpenBLAS  system-library shims
//   TensorCore        row-major Float32 matrices, BLAS products, f16/bf16 conversion, seeded RNG
//   Quant             number formats (traits table, quantizers, bit costs, packing), SignRound on one layer
//   Model             model files (GGUF, safetensors), tokenizer, forward pass, calibration capture, evaluation
//   Sensitivity       per-layer, per-format loss estimates (the profile file)
//   Search            the integer linear program over a profile (the plan file)
//   Export            applying a plan to a model, quantized checkpoints, plans for other tools
//   Report            HTML and markdown reports
//   Pipeline          the stages as library calls (quantize, export, evaluate), `run` composing them with
//                     the profile cache, and the plan comparison against baselines
//   CLISupport        what both executables share: the one error/exit-code policy, option value types
//   autoscheme        the command-line tool (thin: parses, calls the libraries, prints)
//   autoscheme-bench  speed measurements and the plan comparison; not a product (never shipped), it
//                     may use the test fixtures of TestSupport
import PackageDescription

let package = Package(
    name: "AutoScheme",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "autoscheme", targets: ["autoscheme"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CGLPK", path: "Sources/CGLPK", providers: [.apt(["libglpk-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .target(name: "TensorCore", dependencies: ["COpenBLAS"]),
        .target(name: "Quant", dependencies: ["TensorCore"]),
        .target(name: "Model", dependencies: ["TensorCore"]),
        .target(name: "Sensitivity", dependencies: ["Model", "Quant", "TensorCore"]),
        .target(name: "Search", dependencies: ["Sensitivity", "Quant", "CGLPK"]),
        .target(name: "Export", dependencies: ["Search", "Sensitivity", "Model", "Quant", "TensorCore"]),
        .target(name: "Report", dependencies: ["Search", "Sensitivity", "Quant"]),
        .target(name: "Pipeline", dependencies: ["Report", "Export", "Search", "Sensitivity", "Model", "Quant", "TensorCore"]),
        .target(name: "CLISupport", dependencies: [
            "Export", "Search", "Sensitivity", "Quant", "TensorCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "autoscheme", dependencies: [
            "CLISupport", "Pipeline", "Report", "Export", "Search", "Sensitivity", "Model", "Quant", "TensorCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "autoscheme-bench", dependencies: [
            "CLISupport", "Pipeline", "Report", "Export", "Search", "Sensitivity", "Model", "Quant", "TensorCore",
            "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Test fixtures shared by several test targets and the benchmarks (tiny seeded models, seeded
        // synthetic profiles); not in any product.
        .target(name: "TestSupport", dependencies: ["Sensitivity", "Model", "Quant", "TensorCore"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "QuantTests", dependencies: ["Quant", "TensorCore"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TensorCore", "TestSupport"]),
        .testTarget(name: "SensitivityTests", dependencies: ["Sensitivity", "Model", "Quant", "TensorCore", "TestSupport"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Sensitivity", "Quant", "TestSupport"]),
        .testTarget(name: "ExportTests", dependencies: ["Export", "Search", "Model", "Quant", "TensorCore", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Search", "Sensitivity", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Search", "Sensitivity", "Model", "Quant", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["autoscheme", "autoscheme-bench", "TestSupport"]),
    ]
)

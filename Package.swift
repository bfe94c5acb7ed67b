// swift-tools-version:6.0
// AutoScheme: mixed-precision quantization plans for large language models.
//
// Targets are layered one way (each depends only on targets above it in this list):
//   CGLPK, COpenBLAS  system-library shims
//   IO                atomic files, staged folders, input limits and path checks, the JSON encoding policy,
//                     progress/ETA lines (Foundation only)
//   TensorCore        row-major Float32 matrices, BLAS products, f16/bf16 conversion, seeded RNG
//   Formats           number formats (traits table, quantizers, bit costs, packing)
//   Model             model files (GGUF, safetensors), tokenizer, forward pass, calibration capture, evaluation
//   Quant             the quantize stage: plan application, calibration streams, layer- and block-wise SignRound, statistics
//   Sensitivity       per-layer, per-format loss estimates (the profile file)
//   Search            the integer linear program over a profile (the plan file)
//   Export            writing files: quantized checkpoints, plans for other tools
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
        .target(name: "IO"),
        .target(name: "TensorCore", dependencies: ["COpenBLAS"]),
        .target(name: "Formats", dependencies: ["TensorCore"]),
        .target(name: "Model", dependencies: ["TensorCore", "IO"]),
        .target(name: "Quant", dependencies: ["Formats", "Model", "TensorCore", "IO"]),
        .target(name: "Sensitivity", dependencies: ["Model", "Formats", "TensorCore", "IO"]),
        .target(name: "Search", dependencies: ["Sensitivity", "Model", "Formats", "CGLPK", "IO"]),
        .target(name: "Export", dependencies: ["Search", "Sensitivity", "Model", "Formats", "TensorCore", "IO"]),
        .target(name: "Report", dependencies: ["Search", "Sensitivity", "Model", "Formats", "IO"]),
        .target(name: "Pipeline", dependencies: ["Report", "Export", "Quant", "Search", "Sensitivity", "Model", "Formats", "TensorCore", "IO"]),
        .target(name: "CLISupport", dependencies: [
            "Export", "Quant", "Search", "Sensitivity", "Formats", "TensorCore", "IO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "autoscheme", dependencies: [
            "CLISupport", "Pipeline", "Report", "Export", "Quant", "Search", "Sensitivity", "Model", "Formats", "TensorCore", "IO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "autoscheme-bench", dependencies: [
            "CLISupport", "Pipeline", "Report", "Export", "Quant", "Search", "Sensitivity", "Model", "Formats", "TensorCore", "IO",
            "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Test fixtures shared by several test targets and the benchmarks (tiny seeded models, seeded
        // synthetic profiles); not in any product.
        .target(name: "TestSupport", dependencies: ["Sensitivity", "Model", "Quant", "Formats", "TensorCore"], path: "Tests/TestSupport"),
        .testTarget(name: "IOTests", dependencies: ["IO"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "FormatsTests", dependencies: ["Formats", "TensorCore", "TestSupport"]),
        .testTarget(name: "QuantTests", dependencies: ["Quant", "Formats", "Model", "TensorCore", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TensorCore", "TestSupport"]),
        .testTarget(name: "SensitivityTests", dependencies: ["Sensitivity", "Model", "Formats", "TensorCore", "TestSupport"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Sensitivity", "Model", "Formats", "TestSupport"]),
        .testTarget(name: "ExportTests", dependencies: ["Export", "Search", "Model", "Formats", "TensorCore", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Search", "Sensitivity", "Model", "Formats", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Quant", "Search", "Sensitivity", "Model", "Formats", "IO", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["autoscheme", "autoscheme-bench", "TestSupport"]),
    ]
)

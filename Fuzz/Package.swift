// swift-tools-version:6.0
// Coverage-guided fuzzing of AutoScheme's parsers with libFuzzer (scripts/fuzz TARGET SECONDS).
// The library targets are the main package's sources (symbolic links under Sources/), built here
// with -sanitize=fuzzer,address by scripts/fuzz; each fuzz target is one executable whose entry point
// (SwiftPM names it MODULE_main) hands its check to libFuzzer's driver, LLVMFuzzerRunDriver.
import PackageDescription

let libraries: [Target] = [
    .systemLibrary(name: "CGLPK", path: "Sources/CGLPK"),
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
    .target(name: "CFuzzerDriver", path: "Sources/CFuzzerDriver"),
    .target(name: "IO", path: "Sources/IO"),
    .target(name: "TensorCore", dependencies: ["COpenBLAS"], path: "Sources/TensorCore"),
    .target(name: "Formats", dependencies: ["TensorCore"], path: "Sources/Formats"),
    .target(name: "Model", dependencies: ["TensorCore", "IO"], path: "Sources/Model"),
    .target(name: "Sensitivity", dependencies: ["Model", "Formats", "TensorCore", "IO"], path: "Sources/Sensitivity"),
    .target(name: "Search", dependencies: ["Sensitivity", "Model", "Formats", "CGLPK", "IO"], path: "Sources/Search"),
]

/// One fuzz target per parser: name and the library it exercises.
let fuzzTargets: [(String, [Target.Dependency])] = [
    ("fuzz-gguf", ["Model"]),
    ("fuzz-safetensors", ["Model"]),
    ("fuzz-config", ["Model"]),
    ("fuzz-tokenizer", ["Model"]),
    ("fuzz-profile", ["Sensitivity"]),
    ("fuzz-plan", ["Search"]),
]

let package = Package(
    name: "AutoSchemeFuzz",
    targets: libraries + fuzzTargets.map { name, dependencies in
        .executableTarget(name: name, dependencies: dependencies + ["CFuzzerDriver"], path: "Targets/\(name)",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)

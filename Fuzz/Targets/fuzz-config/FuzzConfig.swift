import CFuzzerDriver
import Foundation
import Model

/// config.json decoding and the configuration check on arbitrary bytes.
func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let config = try? JSONDecoder().decode(ModelConfig.self, from: Data(bytes: data, count: size)),
       (try? config.validate(path: "config.json")) != nil {
        for kind in LinearKind.allCases { _ = config.linearShape(of: kind) }
    }
    return 0
}

/// libFuzzer's target symbol (its own main, linked in by -sanitize=fuzzer, calls it).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { fuzzConfig(data ?? $0, size) }
}

/// The executable's entry point (SwiftPM links `main` to `MODULE_main`): libFuzzer's loop over `fuzzConfig`.
@_cdecl("fuzz_config_main")
public func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        var empty: UInt8 = 0
        return withUnsafePointer(to: &empty) { fuzzConfig(data ?? $0, size) }
    }
}

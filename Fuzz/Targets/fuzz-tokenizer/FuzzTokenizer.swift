import CFuzzerDriver
import Foundation
import Model

/// tokenizer.json loading on arbitrary bytes held in memory, then encoding a fixed text with what loaded.
func fuzzTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let tokenizer = try? Tokenizer(tokenizerJSON: Data(bytes: data, count: size), path: "tokenizer.json") {
        _ = tokenizer.encode("Alice was beginning to get very tired 1234 <s>", addSpecialTokens: true)
    }
    return 0
}

/// libFuzzer's target symbol (its own main, linked in by -sanitize=fuzzer, calls it).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { fuzzTokenizer(data ?? $0, size) }
}

/// The executable's entry point (SwiftPM links `main` to `MODULE_main`): libFuzzer's loop over `fuzzTokenizer`.
@_cdecl("fuzz_tokenizer_main")
public func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        var empty: UInt8 = 0
        return withUnsafePointer(to: &empty) { fuzzTokenizer(data ?? $0, size) }
    }
}

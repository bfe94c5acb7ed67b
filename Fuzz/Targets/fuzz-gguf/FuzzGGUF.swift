import CFuzzerDriver
import Foundation
import Model

/// GGUF reader, configuration check and tensor decoding on arbitrary bytes (held in memory, read by
/// the same parser as a mapped file): any input must end in a typed error or a model, never a crash.
func fuzzGGUF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = MappedFile(copying: UnsafeRawBufferPointer(start: data, count: size), path: "fuzz.gguf")
    if let source = try? GGUFTensorSource(files: [GGUFFile(file: file)]),
       let model = try? ModelLoader.openGGUF(source, path: file.path) {
        for info in model.tensors.tensorInfos where info.elementCount <= 1 << 16 {
            _ = try? model.tensors.floats(info.name)
        }
    }
    return 0
}

/// libFuzzer's target symbol (its own main, linked in by -sanitize=fuzzer, calls it).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { fuzzGGUF(data ?? $0, size) }
}

/// The executable's entry point (SwiftPM links `main` to `MODULE_main`): libFuzzer's loop over `fuzzGGUF`.
@_cdecl("fuzz_gguf_main")
public func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        var empty: UInt8 = 0
        return withUnsafePointer(to: &empty) { fuzzGGUF(data ?? $0, size) }
    }
}

import CFuzzerDriver
import Foundation
import Model

/// Safetensors header and tensor decoding on arbitrary bytes (the first byte picks a single file or
/// an index naming the file as a shard).
func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let folder = NSTemporaryDirectory() + "fuzz-safetensors-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let bytes = Data(bytes: data, count: size)
    let source: SafetensorsSource?
    if size > 0 && data[0] == UInt8(ascii: "{") {
        // An index file whose weight map points into one shard written with the same bytes.
        FileManager.default.createFile(atPath: folder + "/model-00001-of-00001.safetensors", contents: bytes)
        FileManager.default.createFile(atPath: folder + "/model.safetensors.index.json", contents: bytes)
        source = try? SafetensorsSource(index: folder + "/model.safetensors.index.json")
    } else {
        FileManager.default.createFile(atPath: folder + "/model.safetensors", contents: bytes)
        source = try? SafetensorsSource(file: folder + "/model.safetensors")
    }
    for info in source?.tensorInfos ?? [] where info.elementCount <= 1 << 16 {
        _ = try? source?.floats(info.name)
    }
    return 0
}

/// libFuzzer's target symbol (its own main, linked in by -sanitize=fuzzer, calls it).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { fuzzSafetensors(data ?? $0, size) }
}

/// The executable's entry point (SwiftPM links `main` to `MODULE_main`): libFuzzer's loop over `fuzzSafetensors`.
@_cdecl("fuzz_safetensors_main")
public func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        var empty: UInt8 = 0
        return withUnsafePointer(to: &empty) { fuzzSafetensors(data ?? $0, size) }
    }
}

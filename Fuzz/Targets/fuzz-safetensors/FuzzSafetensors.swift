import CFuzzerDriver
import Foundation
import Model

/// Safetensors header and tensor decoding on arbitrary bytes held in memory (the first byte picks a
/// single file or an index naming the same bytes as its one shard).
func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = MappedFile(copying: UnsafeRawBufferPointer(start: data, count: size), path: "model.safetensors")
    let source: SafetensorsSource?
    if size > 0 && data[0] == UInt8(ascii: "{") {
        // An index whose weight map points into one shard made of the same bytes; other shards are absent.
        let shardName = "model-00001-of-00001.safetensors"
        source = try? SafetensorsSource(index: Data(bytes: data, count: size), path: "model.safetensors.index.json") {
            guard $0 == shardName else { throw ModelFileError.cannotOpen(path: $0, reason: "no such file or folder") }
            return try SafetensorsFile(file: MappedFile(copying: file.buffer, path: shardName))
        }
    } else {
        source = try? SafetensorsSource(files: [SafetensorsFile(file: file)])
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

import CFuzzerDriver
import Foundation
import Sensitivity

/// Profile JSON decoding and validation on arbitrary bytes; what validates is summed as the search does.
func fuzzProfile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let profile = try? SensitivityProfile.decode(Data(bytes: data, count: size), file: "profile.json") else { return 0 }
    var bits = 0, parameters = 0, score = 0.0
    for layer in profile.layers {
        parameters += layer.parameters
        bits += layer.candidates.map(\.bits.storage).max() ?? 0
        score += layer.candidates.map(\.score).max() ?? 0
        _ = layer.tensorShape
    }
    for fixed in profile.model.fixedTensors { bits += fixed.bits; parameters += fixed.parameters }
    precondition(score.isFinite && bits >= 0 && parameters >= 0)
    return 0
}

/// libFuzzer's target symbol (its own main, linked in by -sanitize=fuzzer, calls it).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { fuzzProfile(data ?? $0, size) }
}

/// The executable's entry point (SwiftPM links `main` to `MODULE_main`): libFuzzer's loop over `fuzzProfile`.
@_cdecl("fuzz_profile_main")
public func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        var empty: UInt8 = 0
        return withUnsafePointer(to: &empty) { fuzzProfile(data ?? $0, size) }
    }
}

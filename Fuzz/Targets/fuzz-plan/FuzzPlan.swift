import CFuzzerDriver
import Foundation
import Search

/// Plan and sweep JSON decoding and validation on arbitrary bytes; what validates is summed as the
/// report and the exporters do.
func fuzzPlan(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    if let plan = try? QuantizationPlan.decode(bytes, file: "plan.json") {
        var bits = 0, parameters = 0, score = 0.0
        for layer in plan.layers { bits += layer.bits; parameters += layer.parameters; score += layer.score }
        precondition(score.isFinite && bits >= 0 && parameters > 0)
    }
    if let sweep = try? PlanSweep.decode(bytes, file: "sweep.json") {
        precondition(sweep.frontier.count == sweep.plans.count)
    }
    return 0
}

/// libFuzzer's target symbol (its own main, linked in by -sanitize=fuzzer, calls it).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { fuzzPlan(data ?? $0, size) }
}

/// The executable's entry point (SwiftPM links `main` to `MODULE_main`): libFuzzer's loop over `fuzzPlan`.
@_cdecl("fuzz_plan_main")
public func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        var empty: UInt8 = 0
        return withUnsafePointer(to: &empty) { fuzzPlan(data ?? $0, size) }
    }
}

import XCTest
@testable import Formats
@testable import Search
@testable import Sensitivity
import TestSupport

/// Activation formats (W4A4, W8A8) in the targets and the search.
final class ActivationFormatSearchTests: XCTestCase {
    let square = TensorShape(rows: 576, cols: 576)
    let down = TensorShape(rows: 576, cols: 1536)

    func loads(_ target: DeploymentTarget, _ format: QuantFormat, _ shape: TensorShape) -> Bool {
        if case .loads = target.verdict(format, shape: shape) { return true }
        return false
    }

    /// auto-round 0.16.1 has W4A4 MXFP4 and NVFP4 kernels (torch_mxfp4, torch_nvfp4), none for
    /// weight-only FP4 or dynamic FP8; compressed-tensors has all three W4A4/W8A8 presets; vLLM's
    /// auto-round path takes int only; llama.cpp no activation quantization.
    func testTargetsLoadActivationFormatsWhereTheirRuntimesDo() {
        XCTAssertTrue(loads(.autoround, .nvfp4A4, square))
        XCTAssertTrue(loads(.autoround, .mxfp4A4, square))
        XCTAssertFalse(loads(.autoround, .nvfp4, square))
        XCTAssertFalse(loads(.autoround, .fp8A8, down))
        for f in QuantFormat.activationFormats { XCTAssertTrue(loads(.llmcompressor, f, down), f.name) }
        for f in QuantFormat.activationFormats {
            XCTAssertFalse(loads(.vllm, f, down), f.name)
            XCTAssertFalse(loads(.llamacpp, f, down), f.name)
        }
        guard case let .refused(reason, _) = DeploymentTarget.autoround.verdict(.fp8A8, shape: down) else { return XCTFail() }
        XCTAssertTrue(reason.contains("fp8-a8 (quantized activations) is not loadable"), reason)
    }

    /// A profile where nvfp4-a4 beats int4 on half the layers (even blocks) at a bit more cost:
    /// without a target the plan mixes them; for auto-round, whose int and FP4 kernels need
    /// different packings, the plan is all int or all FP4 (bf16 aside), the better of the two.
    func testAutoRoundPlansKeepToOnePacking() throws {
        let base = SyntheticProfile.make(layers: 28, seed: 3)
        let int4 = try QuantFormat.int(bits: 4)
        let layers = base.layers.map { layer -> ProfileLayer in
            let i = layer.candidate(int4)!
            let better = (layer.block ?? 0) % 2 == 0
            let act = FormatCandidate(format: .nvfp4A4, score: i.score * (better ? 0.3 : 3),
                                      bits: LayerBits(storage: QuantFormat.nvfp4A4.bitCost(shape: layer.tensorShape, convention: .storage),
                                                      autoround: QuantFormat.nvfp4A4.bitCost(shape: layer.tensorShape, convention: .autoround)))
            return ProfileLayer(name: layer.name, block: layer.block, kind: layer.kind, shape: layer.shape,
                                parameters: layer.parameters, fusedGroup: layer.fusedGroup,
                                candidates: layer.candidates + [act])
        }
        let profile = SensitivityProfile(model: base.model, calibration: base.calibration, estimator: base.estimator,
                                         formats: base.formats + [.nvfp4A4], layers: layers)
        func plan(_ target: DeploymentTarget, _ bits: Double) throws -> QuantizationPlan {
            try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: bits, formats: [int4, .nvfp4A4, .bf16], target: target))
        }
        let free = try plan(.any, 4.45)
        let families = Set(free.layers.map(\.format).filter { $0 != .bf16 }.map(\.family))
        XCTAssertEqual(families, [.int, .nvfp4], "without a target the plan mixes int4 and nvfp4-a4")
        XCTAssertGreaterThan(free.activationQuantizedLayers, 0)
        for bits in [4.3, 4.45, 4.6] {
            let p = try plan(.autoround, bits)
            let used = Set(p.layers.map(\.format).filter { $0 != .bf16 }.map(\.family))
            XCTAssertEqual(used.count, 1, "\(bits) bits: \(used)")
            // The better of the two one-packing problems.
            let intOnly = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: bits, formats: [int4, .bf16], target: .autoround))
            let fp4Only = try? PlanSearch.run(profile: profile, options: SearchOptions(averageBits: bits, formats: [.nvfp4A4, .bf16], target: .autoround))
            XCTAssertEqual(p.predictedLoss, min(intOnly.predictedLoss, fp4Only?.predictedLoss ?? .infinity), accuracy: 1e-12)
        }
    }

    /// Asking for an activation format by name on a target that cannot run it anywhere is one typed
    /// error naming both, not an infeasible budget.
    func testTargetThatCannotRunActivationsIsRefusedByName() throws {
        let base = SyntheticProfile.make(layers: 7, seed: 5)
        let layers = base.layers.map { layer in
            ProfileLayer(name: layer.name, block: layer.block, kind: layer.kind, shape: layer.shape, parameters: layer.parameters,
                         fusedGroup: layer.fusedGroup, candidates: layer.candidates + [FormatCandidate(
                            format: .nvfp4A4, score: 1, bits: layer.candidate(.nvfp4)!.bits)])
        }
        let profile = SensitivityProfile(model: base.model, calibration: base.calibration, estimator: base.estimator,
                                         formats: base.formats + [.nvfp4A4], layers: layers)
        XCTAssertThrowsError(try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 8, formats: [.nvfp4A4, .bf16], target: .vllm))) { error in
            guard case let .targetCannotRunActivations(target, format, _)? = error as? SearchError else { return XCTFail("\(error)") }
            XCTAssertEqual([target, format], ["vllm", "nvfp4-a4"])
        }
        XCTAssertNoThrow(try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 8, formats: [.nvfp4A4, .bf16], target: .llmcompressor)))
    }
}

import XCTest
@testable import Formats
@testable import Search
@testable import Sensitivity
import TestSupport

/// One case per rule of each target table (`DeploymentTargetRules.swift`), on hand-written layer
/// shapes: SmolLM2's 576 x 576 (q/o), 1536 x 576 (gate/up), 576 x 1536 (down), and odd ones.
final class DeploymentTargetTests: XCTestCase {
    let square = TensorShape(rows: 576, cols: 576)
    let down = TensorShape(rows: 576, cols: 1536)

    func storedAs(_ v: TargetVerdict) -> QuantFormat? {
        if case let .storedAs(f, _) = v { return f }
        return nil
    }

    func fallback(_ v: TargetVerdict) -> QuantFormat?? {
        if case let .refused(_, f) = v { return .some(f) }
        return nil
    }

    func reason(_ v: TargetVerdict) -> String {
        if case let .refused(r, _) = v { return r }
        return ""
    }

    func testAnyLoadsEverything() {
        for f in QuantFormat.defaultCandidates + ["int3a/g64"] {
            XCTAssertEqual(DeploymentTarget.any.verdict(f, shape: TensorShape(rows: 7, cols: 13)), .loads, f.name)
        }
    }

    // MARK: autoround

    /// g128 on 576 inputs: written as g64 with repeated scales; the search counts g64's bits:
    /// codes 576 * 576 * 2 = 663,552, scales 576 rows * 9 groups * 16 = 82,944 (storage, symmetric:
    /// no zero points) = 746,496; auto-round's counting adds a 2-bit zero per group: 663,552 + 5,184 * 18 = 756,864.
    func testAutoRoundCountsTheStoredGroupOf576Inputs() throws {
        let f: QuantFormat = "int2/g128"
        XCTAssertEqual(storedAs(DeploymentTarget.autoround.verdict(f, shape: square)), "int2/g64")
        let candidate = FormatCandidate(format: f, score: 1, bits: LayerBits(
            storage: f.bitCost(shape: square, convention: .storage).totalBits,
            autoround: f.bitCost(shape: square, convention: .autoround).totalBits))
        XCTAssertEqual(candidate.bits.storage, 663_552 + 576 * 5 * 16)  // g128 as profiled: 5 groups per row
        let layer = ProfileLayer(name: "model.layers.0.self_attn.q_proj.weight", block: 0, kind: .q, shape: [576, 576],
                                 parameters: 576 * 576, fusedGroup: nil, candidates: [candidate])
        XCTAssertEqual(SearchProblem.layerBits(layer, candidate, counting: .storage, target: .autoround), 746_496)
        XCTAssertEqual(SearchProblem.layerBits(layer, candidate, counting: .autoround, target: .autoround), 756_864)
        XCTAssertEqual(SearchProblem.layerBits(layer, candidate, counting: .storage, target: .any), 709_632)
    }

    func testAutoRoundLoadsGroupsDividingTheInputsAsTheyAre() {
        XCTAssertEqual(DeploymentTarget.autoround.verdict("int2/g128", shape: down), .loads)
        XCTAssertEqual(DeploymentTarget.autoround.verdict("int4/g64", shape: square), .loads)
        XCTAssertEqual(DeploymentTarget.autoround.verdict("bf16", shape: square), .loads)
    }

    func testAutoRoundRefusesWeightOnlyFP4AndBlockFP8() {
        for f: QuantFormat in ["nvfp4", "mxfp4", "fp8"] {
            let v = DeploymentTarget.autoround.verdict(f, shape: square)
            XCTAssertEqual(fallback(v), .some(nil), f.name)
            XCTAssertTrue(reason(v).contains("not loadable"), reason(v))
        }
    }

    func testAutoRoundRefusesAsymmetricInt() {
        XCTAssertTrue(reason(DeploymentTarget.autoround.verdict("int4a/g64", shape: square)).contains("asymmetric"))
    }

    func testAutoRoundNeedsInputsAndOutputsMultipleOf32() {
        XCTAssertEqual(reason(DeploymentTarget.autoround.verdict("int4/g32", shape: TensorShape(rows: 64, cols: 48))),
                       "48 inputs are not a multiple of 32")
        XCTAssertEqual(reason(DeploymentTarget.autoround.verdict("int4/g32", shape: TensorShape(rows: 48, cols: 64))),
                       "48 outputs are not a multiple of 32")
    }

    // MARK: llmcompressor

    func testLLMCompressorOffersTheSmallerGroupWhere128DoesNotDivide() {
        XCTAssertEqual(fallback(DeploymentTarget.llmcompressor.verdict("int2/g128", shape: square)), .some("int2/g64"))
        XCTAssertEqual(fallback(DeploymentTarget.llmcompressor.verdict("int3a/g128", shape: square)), .some("int3a/g64"))
        // 96 inputs: g64 does not divide, g32 does.
        XCTAssertEqual(fallback(DeploymentTarget.llmcompressor.verdict("int4/g64", shape: TensorShape(rows: 32, cols: 96))),
                       .some("int4/g32"))
        XCTAssertEqual(DeploymentTarget.llmcompressor.verdict("int2/g128", shape: down), .loads)
        XCTAssertEqual(DeploymentTarget.llmcompressor.verdict("int4a/g64", shape: square), .loads)
    }

    func testLLMCompressorRefusesFP4GroupsThatDoNotDivideAndLoadsFP8Blocks() {
        XCTAssertEqual(fallback(DeploymentTarget.llmcompressor.verdict("mxfp4", shape: TensorShape(rows: 32, cols: 48))), .some(nil))
        XCTAssertEqual(fallback(DeploymentTarget.llmcompressor.verdict("nvfp4", shape: TensorShape(rows: 32, cols: 24))), .some(nil))
        XCTAssertEqual(DeploymentTarget.llmcompressor.verdict("nvfp4", shape: square), .loads)
        XCTAssertEqual(DeploymentTarget.llmcompressor.verdict("mxfp4", shape: square), .loads)
        XCTAssertEqual(DeploymentTarget.llmcompressor.verdict("fp8", shape: square), .loads)  // 576 = 4.5 blocks: not checked
        XCTAssertEqual(DeploymentTarget.llmcompressor.verdict("bf16", shape: square), .loads)
    }

    func testProfileFormatsAddTheFallbacksOnce() {
        let shapes = [square, TensorShape(rows: 1536, cols: 576), down]
        XCTAssertEqual(DeploymentTarget.llmcompressor.profileFormats(["int2/g128", "int4/g128", "fp8", "bf16"], shapes: shapes),
                       ["int2/g128", "int4/g128", "fp8", "bf16", "int2/g64", "int4/g64"])
        // autoround stores int2/g128 on 576 inputs as int2/g64: the real g64 costs the same, so it is measured too.
        XCTAssertEqual(DeploymentTarget.autoround.profileFormats(["int2/g128", "nvfp4"], shapes: shapes), ["int2/g128", "nvfp4", "int2/g64"])
        XCTAssertEqual(DeploymentTarget.autoround.profileFormats(["int2/g128", "nvfp4"], shapes: [down]), ["int2/g128", "nvfp4"])
        XCTAssertEqual(DeploymentTarget.any.profileFormats(["int2/g128"], shapes: shapes), ["int2/g128"])
        XCTAssertEqual(DeploymentTarget.llmcompressor.profileFormats(["int2/g128"], shapes: [down]), ["int2/g128"])
    }

    // MARK: vllm

    func testVLLMLoadsIntOnlyRegroupedLikeAutoRound() {
        XCTAssertEqual(storedAs(DeploymentTarget.vllm.verdict("int3a/g128", shape: square)), "int3a/g64")
        XCTAssertEqual(DeploymentTarget.vllm.verdict("int8/g128", shape: down), .loads)
        XCTAssertEqual(DeploymentTarget.vllm.verdict("bf16", shape: square), .loads)
        for f: QuantFormat in ["nvfp4", "mxfp4", "fp8"] {
            XCTAssertEqual(fallback(DeploymentTarget.vllm.verdict(f, shape: square)), .some(nil), f.name)
        }
    }

    /// GPTQ's pack factor 32 / bits as a fraction's numerator: 16 for 2 bits, 32 for 3, 8 for 4, 4 for 8.
    func testVLLMNeedsOutputsMultipleOfThePackFactor() {
        let shape = TensorShape(rows: 40, cols: 64)
        XCTAssertTrue(reason(DeploymentTarget.vllm.verdict("int2/g32", shape: shape)).contains("multiple of 16"))
        XCTAssertTrue(reason(DeploymentTarget.vllm.verdict("int3/g32", shape: shape)).contains("multiple of 32"))
        XCTAssertEqual(DeploymentTarget.vllm.verdict("int4/g32", shape: shape), .loads)
        XCTAssertEqual(DeploymentTarget.vllm.verdict("int8/g32", shape: TensorShape(rows: 12, cols: 64)), .loads)
    }

    func testVLLMNeedsFusedSiblingsShared() {
        let profile = SyntheticProfile.make(layers: 7, seed: 1)
        XCTAssertThrowsError(try SearchProblem(profile: profile, options: SearchOptions(averageBits: 4, sharing: .none, target: .vllm))) {
            XCTAssertEqual($0 as? SearchError, .targetNeedsSharing(target: "vllm"))
        }
        XCTAssertNoThrow(try SearchProblem(profile: profile, options: SearchOptions(averageBits: 4, target: .vllm)))
    }
}

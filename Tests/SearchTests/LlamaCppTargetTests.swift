import XCTest
@testable import Formats
@testable import Search
@testable import Sensitivity

/// The `llamacpp` target's rules (`DeploymentTarget.llamaCppRules`) on the default model's shapes,
/// its default candidates, and searches under it: a plan names only types llama-quantize stores as
/// they are, so its tensor-type file is applied with no replacement.
final class LlamaCppTargetTests: XCTestCase {
    /// SmolLM2-135M: q/o 576 x 576, k/v 192 x 576, gate/up 1536 x 576, down 576 x 1536.
    let square = TensorShape(rows: 576, cols: 576)
    let gate = TensorShape(rows: 1536, cols: 576)
    let down = TensorShape(rows: 576, cols: 1536)
    let target = DeploymentTarget.llamacpp

    func refusal(_ v: TargetVerdict) -> (reason: String, fallback: QuantFormat?)? {
        if case let .refused(r, f) = v { return (r, f) }
        return nil
    }

    /// Every ggml type loads on 1536 inputs (6 super-blocks); on 576 inputs (2.25 super-blocks) each
    /// k-quant is refused with the type llama-quantize stores instead (q5_K: q5_1), and the 32-weight
    /// types and bf16 load.
    func testVerdictsOnTheDefaultModelsShapes() throws {
        let expectedOn576: [String: String?] = [
            "q2_K": "q4_0", "q3_K": "q4_0", "q4_K": "q5_0", "q5_K": "q5_1", "q6_K": "q8_0",
            "q4_0": nil, "q4_1": nil, "q5_0": nil, "q5_1": nil, "q8_0": nil, "bf16": nil,
        ]
        for (name, fallback) in expectedOn576 {
            let f = try QuantFormat(canonicalName: name)
            XCTAssertEqual(target.verdict(f, shape: down), .loads, name)
            for shape in [square, gate] {
                let v = target.verdict(f, shape: shape)
                guard let fallback else {
                    XCTAssertEqual(v, .loads, "\(name) \(shape)")
                    continue
                }
                let r = try XCTUnwrap(refusal(v), "\(name) \(shape)")
                XCTAssertEqual(r.fallback, try QuantFormat(canonicalName: fallback), name)
                XCTAssertTrue(r.reason.hasPrefix("576 inputs are not a multiple of 256: llama-quantize stores \(name) as "), r.reason)
            }
        }
        XCTAssertEqual(refusal(target.verdict("q2_K", shape: square))?.reason,
                       "576 inputs are not a multiple of 256: llama-quantize stores q2_K as q4_0 (tensor_type_fallback)")
        XCTAssertEqual(refusal(target.verdict("q5_K", shape: square))?.reason,
                       "576 inputs are not a multiple of 256: llama-quantize stores q5_K as q5_1 (tensor_type_fallback)")
    }

    /// A row that is not whole 32-weight blocks: llama-quantize stores F16; the target offers bf16.
    func testRowsThatAreNotWhole32BlocksFallBackToBF16() {
        let odd = TensorShape(rows: 64, cols: 40)
        XCTAssertEqual(refusal(target.verdict("q4_0", shape: odd))?.fallback, .bf16)
        XCTAssertEqual(refusal(target.verdict("q2_K", shape: odd))?.fallback, .bf16)
        XCTAssertEqual(refusal(target.verdict("q5_K", shape: odd))?.fallback, .bf16)
        XCTAssertEqual(refusal(target.verdict("q5_1", shape: odd))?.reason,
                       "40 inputs are not a multiple of 32: llama-quantize stores q5_1 as f16, which AutoScheme does not quantize to; bf16 loads")
        XCTAssertEqual(refusal(target.verdict("int4/g32", shape: odd))?.fallback, .bf16)
        XCTAssertEqual(target.verdict("bf16", shape: odd), .loads)
    }

    /// int, MXFP4, NVFP4 and FP8 are refused with the nearest ggml type that fits the row.
    func testOtherFamiliesAreRefusedWithTheNearestGGMLType() throws {
        let cases: [(QuantFormat, on1536: String, on576: String, says: String)] = [
            ("int2/g128", "q2_K", "q4_0", "no grouped int type like int2/g128"),
            ("int3/g64", "q3_K", "q4_0", "no grouped int type"),
            ("int4a/g32", "q4_K", "q5_0", "no grouped int type"),
            ("int8/g128", "q8_0", "q8_0", "no grouped int type"),
            ("mxfp4", "q4_0", "q4_0", "rounds MXFP4 differently from AutoScheme's OCP MXFP4 (ties to the smaller magnitude"),
            ("nvfp4", "q4_0", "q4_0", "no fp32 tensor scale"),
            ("fp8", "q8_0", "q8_0", "no FP8 type"),
        ]
        for c in cases {
            for (shape, expected) in [(down, c.on1536), (square, c.on576)] {
                let r = try XCTUnwrap(refusal(target.verdict(c.0, shape: shape)), c.0.name)
                XCTAssertEqual(r.fallback, try QuantFormat(canonicalName: expected), "\(c.0) \(shape)")
                XCTAssertTrue(r.reason.contains(c.says) && r.reason.hasSuffix("; \(expected) loads"), r.reason)
            }
        }
    }

    func testTheStoredTypeNamesFollowTensorTypeFallback() {
        XCTAssertEqual(GGMLBlockType.q2_K.llamaCppStored(cols: 576), "q4_0")
        XCTAssertEqual(GGMLBlockType.q3_K.llamaCppStored(cols: 576), "q4_0")
        XCTAssertEqual(GGMLBlockType.q4_K.llamaCppStored(cols: 576), "q5_0")
        XCTAssertEqual(GGMLBlockType.q5_K.llamaCppStored(cols: 576), "q5_1")
        XCTAssertEqual(GGMLBlockType.q6_K.llamaCppStored(cols: 576), "q8_0")
        XCTAssertEqual(GGMLBlockType.q6_K.llamaCppStored(cols: 1536), "q6_K")
        XCTAssertEqual(GGMLBlockType.q8_0.llamaCppStored(cols: 576), "q8_0")
        XCTAssertEqual(GGMLBlockType.q4_0.llamaCppStored(cols: 40), "f16")
        XCTAssertEqual(GGMLBlockType.q2_K.llamaCppStored(cols: 40), "f16")
        XCTAssertEqual(GGMLBlockType.q5_K.llamaCppStored(cols: 40), "f16")
        XCTAssertEqual(GGMLBlockType.q4_1.llamaCppStored(cols: 576), "q4_1")
        XCTAssertEqual(GGMLBlockType.q5_1.llamaCppStored(cols: 40), "f16")
    }

    /// Without --formats: every ggml type some stored type holds at each shape, and bf16, by bits per
    /// weight. On SmolLM2 that is all ten (q5_K is stored as q5_1 on 576 inputs); a row that is not
    /// whole 32-weight blocks leaves only bf16; the int targets keep their defaults.
    func testDefaultFormats() {
        let smol = [square, TensorShape(rows: 192, cols: 576), gate, down]
        let all = ["q2_K", "q3_K", "q4_0", "q4_K", "q4_1", "q5_0", "q5_K", "q5_1", "q6_K", "q8_0", "bf16"]
        XCTAssertEqual(target.defaultFormats(shapes: smol).map(\.name), all)
        XCTAssertEqual(target.defaultFormats(shapes: [TensorShape(rows: 4096, cols: 4096)]).map(\.name), all)
        XCTAssertEqual(target.defaultFormats(shapes: [TensorShape(rows: 64, cols: 40)]).map(\.name), ["bf16"])
        // The fallbacks of the defaults are defaults themselves: the profile measures nothing more.
        XCTAssertEqual(target.profileFormats(target.defaultFormats(shapes: smol), shapes: smol),
                       target.defaultFormats(shapes: smol))
        for other in DeploymentTarget.allCases where other != .llamacpp {
            XCTAssertEqual(other.defaultFormats(shapes: smol), QuantFormat.defaultCandidates, other.rawValue)
        }
    }

    /// A fallback's own fallback is measured too: int2/g128 -> q4_0 on 576 inputs, q2_K on 1536.
    func testProfileFormatsFollowFallbacksToATypeThatLoads() {
        XCTAssertEqual(target.profileFormats(["int2/g128"], shapes: [square, down]).map(\.name), ["int2/g128", "q4_0", "q2_K"])
        XCTAssertEqual(target.profileFormats(["q5_K"], shapes: [square, down]).map(\.name), ["q5_K", "q5_1"])
        XCTAssertEqual(target.profileFormats(["q6_K", "fp8"], shapes: [down]).map(\.name), ["q6_K", "fp8", "q8_0"])
    }

    // MARK: search

    /// SmolLM2's seven layer kinds over `blocks` blocks, every ggml type and bf16 as candidates.
    /// A type that does not fit a layer scores and costs what it is stored as (as the quantizer
    /// measures it), scaled by 0.999: an unconstrained search prefers its name.
    static func profile(blocks: Int) -> SensitivityProfile {
        let types = GGMLBlockType.llamaCppCandidateOrder
        let formats = types.map { QuantFormat.ggml($0) } + [.bf16]
        let quality: [GGMLBlockType: Double] = [.q2_K: 2.2, .q3_K: 3.1, .q4_0: 3.9, .q4_K: 4.1, .q4_1: 4.3, .q5_0: 4.9,
                                                 .q5_K: 5.1, .q5_1: 5.3, .q6_K: 6.2, .q8_0: 7.8]
        let kinds: [(String, TensorShape)] = [
            ("self_attn.q_proj", TensorShape(rows: 576, cols: 576)), ("self_attn.k_proj", TensorShape(rows: 192, cols: 576)),
            ("self_attn.v_proj", TensorShape(rows: 192, cols: 576)), ("self_attn.o_proj", TensorShape(rows: 576, cols: 576)),
            ("mlp.gate_proj", TensorShape(rows: 1536, cols: 576)), ("mlp.up_proj", TensorShape(rows: 1536, cols: 576)),
            ("mlp.down_proj", TensorShape(rows: 576, cols: 1536)),
        ]
        var layers: [ProfileLayer] = []
        for block in 0..<blocks {
            for (k, (module, shape)) in kinds.enumerated() {
                let sensitivity = 0.01 * (1 + Double((block * 7 + k) % 5))
                func score(_ t: GGMLBlockType) -> Double {
                    let q = quality[t] ?? 2
                    return sensitivity * exp2(-(q - 2))
                }
                let candidates = formats.map { f -> FormatCandidate in
                    let bits = LayerBits(storage: f.bitCost(shape: shape, convention: .storage).totalBits,
                                         autoround: f.bitCost(shape: shape, convention: .autoround).totalBits)
                    guard let t = f.ggmlType else { return FormatCandidate(format: f, score: 0, bits: bits) }
                    let stored = t.stored(cols: shape.cols) ?? t
                    return FormatCandidate(format: f, score: score(stored) * (stored == t ? 1 : 0.999), bits: bits)
                }
                let fused: String? = k < 3 ? "model.layers.\(block).self_attn.qkv_proj"
                    : (k == 4 || k == 5 ? "model.layers.\(block).mlp.gate_up_proj" : nil)
                layers.append(ProfileLayer(name: "model.layers.\(block).\(module).weight", block: block, kind: nil,
                                           shape: [shape.rows, shape.cols], parameters: shape.count, fusedGroup: fused,
                                           candidates: candidates))
            }
        }
        return SensitivityProfile(
            model: ModelIdentity(path: "smol-shapes", architecture: "llama", fingerprint: "s",
                                 totalParameters: layers.reduce(0) { $0 + $1.parameters }, fixedTensors: []),
            calibration: CalibrationSettings(file: "none", sha256: "", samples: 0, sequenceLength: 0, seed: 0, tokens: 0),
            estimator: "synthetic", formats: formats, layers: layers)
    }

    /// The layers whose format llama-quantize would replace: not a ggml type or bf16, or a ggml
    /// type the row is not whole blocks of.
    func replaced(_ plan: QuantizationPlan, _ profile: SensitivityProfile) -> [String] {
        zip(plan.layers, profile.layers).compactMap { decision, layer in
            if decision.format == .bf16 { return nil }
            guard let t = decision.format.ggmlType, t.llamaCppStored(cols: layer.tensorShape.cols) == t.name else {
                return "\(decision.name)=\(decision.format.name)"
            }
            return nil
        }
    }

    func testSearchedPlansNameOnlyTypesLlamaQuantizeStoresAsTheyAre() throws {
        let profile = Self.profile(blocks: 3)
        var unconstrainedReplaced = 0
        for budget in [4.1, 4.5, 5.0, 5.5, 6.0, 7.0, 9.0] {
            let plan = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: budget, sharing: .none, target: .llamacpp))
            XCTAssertEqual(plan.target, .llamacpp)
            XCTAssertEqual(replaced(plan, profile), [], "\(budget)")
            XCTAssertLessThanOrEqual(plan.achieved.searchedAverage, budget)
            // Bits are the stored type's bytes: q4_0 on 576 x 576 is 576 rows x 18 blocks x 18 bytes.
            for (decision, layer) in zip(plan.layers, profile.layers) where decision.format == "q4_0" && layer.tensorShape == square {
                XCTAssertEqual(decision.bits, 576 * 18 * 18 * 8)
            }
            let any = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: budget, sharing: .none, target: .any))
            unconstrainedReplaced += replaced(any, profile).count
        }
        // Without the target the same profile's plans name types llama-quantize would replace.
        XCTAssertGreaterThan(unconstrainedReplaced, 0)
    }

    /// With the default (fused) sharing, q/k/v and gate/up share one type: still only stored types.
    func testSharedGroupsStayOnStoredTypes() throws {
        let profile = Self.profile(blocks: 2)
        for budget in [4.2, 4.5, 6.0] {
            let plan = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: budget, target: .llamacpp))
            XCTAssertEqual(replaced(plan, profile), [], "\(budget)")
        }
    }
}

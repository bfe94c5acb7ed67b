import Formats
import Model
import XCTest
import Sensitivity
import TestSupport
@testable import Search

/// The baseline rules: llama.cpp's `use_more_bits` block set, the uniform choice and the depth
/// heuristic's (base, upgrade) pair, pinned on a hand-built profile whose totals are computed by hand.
final class BaselinePlansTests: XCTestCase {
    /// Formats of the hand-built profile: bits per weight and score factor (score = 1e-3 x factor).
    /// Real formats; their bit costs here are set by hand (whole bits, no scale overhead) so the
    /// totals stay easy to check. Two formats cost 3 bits (int3/g128 and int3a/g64, differing in score).
    static let ladder: [(QuantFormat, Int, Double)] = [
        ("int2/g128", 2, 8), ("int3/g128", 3, 4), ("int3a/g64", 3, 5), ("int4/g128", 4, 2), ("int8/g128", 8, 1),
    ]

    /// 8 blocks of q, v, down, each 100 weights: 24 layers, 2400 weights, no fixed tensors.
    /// `use_more_bits` for 8 blocks is {0, 3, 6, 7}, so 8 layers (v and down there) are upgraded.
    static func handProfile() -> SensitivityProfile {
        var layers: [ProfileLayer] = []
        for block in 0..<8 {
            for (kind, module) in [(LinearKind.q, "self_attn.q_proj"), (.v, "self_attn.v_proj"), (.down, "mlp.down_proj")] {
                let candidates = ladder.map { name, bits, factor in
                    FormatCandidate(format: name, score: 1e-3 * factor, bits: LayerBits(storage: 100 * bits, autoround: 100 * bits))
                }
                layers.append(ProfileLayer(name: "model.layers.\(block).\(module).weight", block: block, kind: kind,
                                           shape: [10, 10], parameters: 100, fusedGroup: nil, candidates: candidates))
            }
        }
        return SensitivityProfile(
            model: ModelIdentity(path: "hand", architecture: "llama", fingerprint: "hand", totalParameters: 2400, fixedTensors: []),
            calibration: CalibrationSettings(file: "none", sha256: "", samples: 0, sequenceLength: 0, seed: 0, tokens: 0),
            estimator: "hand", formats: ladder.map(\.0), layers: layers)
    }

    func testUseMoreBitsMatchesLlamaCppBlockSets() {
        func set(_ n: Int) -> [Int] { (0..<n).filter { BaselinePlans.usesMoreBits(block: $0, of: n) } }
        XCTAssertEqual(set(16), [0, 1, 4, 7, 10, 13, 14, 15])
        XCTAssertEqual(set(8), [0, 3, 6, 7])
        XCTAssertEqual(set(30), [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29])
        XCTAssertEqual(set(4), [2, 3])  // n/8 = 0, 7n/8 = 3: block 3 (last eighth) and block 2 ((2 - 0) % 3 == 2)
    }

    func testUniformPicksLowestPredictedLossThatFits() throws {
        let profile = Self.handProfile()
        // 3.0 bits: int2/g128 (2.0, loss 24 x 8e-3), int3/g128 and int3a/g64 (3.0, 24 x 4e-3 and
        // 24 x 5e-3) fit; int3/g128 wins.
        let plan = try BaselinePlans.uniform(profile: profile, options: SearchOptions(averageBits: 3.0))
        XCTAssertEqual(Set(plan.layers.map(\.format)), ["int3/g128"])
        XCTAssertEqual(plan.achieved.searchedBits, 7200)
        XCTAssertEqual(plan.achieved.searchedAverage, 3.0)
        XCTAssertEqual(plan.predictedLoss, 24 * 4e-3, accuracy: 1e-12)
        XCTAssertEqual(plan.solver.status, .rule)
        XCTAssertEqual(plan.layers[0].reason, .rule(name: "uniform int3/g128"))
        // Just below 3.0 only int2/g128 is left.
        let low = try BaselinePlans.uniform(profile: profile, options: SearchOptions(averageBits: 2.999))
        XCTAssertEqual(Set(low.layers.map(\.format)), ["int2/g128"])
        // Restricted to int3a/g64 and int8/g128 at 4.0: only int3a/g64 fits.
        let restricted = try BaselinePlans.uniform(profile: profile, options: SearchOptions(averageBits: 4.0, formats: ["int3a/g64", "int8/g128"]))
        XCTAssertEqual(Set(restricted.layers.map(\.format)), ["int3a/g64"])
    }

    func testUniformInfeasibleNamesCheapestFormat() {
        XCTAssertThrowsError(try BaselinePlans.uniform(profile: Self.handProfile(), options: SearchOptions(averageBits: 1.5))) {
            XCTAssertEqual($0 as? SearchError, .noBaselinePlan(
                rule: "uniform", target: 1.5, reason: "the cheapest format every layer has, int2/g128, needs 2.0000 bits"))
        }
        XCTAssertThrowsError(try BaselinePlans.uniform(profile: Self.handProfile(), options: SearchOptions(averageBits: .nan)))
    }

    func testDepthHeuristicUpgradesVAndDownOfUseMoreBitsBlocks() throws {
        // 3.0 bits, a third of the weights upgraded: (int2/g128, int3/g128) 2.333 loss 0.160,
        // (int2/g128, int3a/g64) 2.333 0.168, (int2/g128, int4/g128) 2.667 0.144, (int2/g128, int8/g128)
        // 4.0 too big, (int3/g128, int4/g128) 3.333 too big -> (int2/g128, int4/g128).
        let plan = try BaselinePlans.depthHeuristic(profile: Self.handProfile(), options: SearchOptions(averageBits: 3.0))
        let upgraded = plan.layers.filter { $0.format == "int4/g128" }.map(\.name)
        XCTAssertEqual(upgraded, [0, 3, 6, 7].flatMap {
            ["model.layers.\($0).self_attn.v_proj.weight", "model.layers.\($0).mlp.down_proj.weight"]
        })
        XCTAssertEqual(Set(plan.layers.filter { $0.format != "int4/g128" }.map(\.format)), ["int2/g128"])
        XCTAssertEqual(plan.achieved.searchedBits, 16 * 200 + 8 * 400)
        XCTAssertEqual(plan.predictedLoss, 16 * 8e-3 + 8 * 2e-3, accuracy: 1e-12)
        XCTAssertEqual(plan.layers[0].reason, .rule(name: "depth heuristic: base int2/g128"))  // block 0 q
        XCTAssertEqual(plan.layers[1].reason, .rule(name: "depth heuristic: upgraded to int4/g128 (v/down in a use_more_bits block)"))
    }

    func testDepthHeuristicPrefersLowerLossOverMoreBits() throws {
        // 4.0 bits: (int2/g128, int8/g128) uses all 4.0 bits but predicts 16 x 8e-3 + 8 x 1e-3 = 0.136;
        // (int3/g128, int4/g128) uses 3.333 and predicts 16 x 4e-3 + 8 x 2e-3 = 0.080, so it wins.
        let plan = try BaselinePlans.depthHeuristic(profile: Self.handProfile(), options: SearchOptions(averageBits: 4.0))
        XCTAssertEqual(plan.achieved.searchedBits, 16 * 300 + 8 * 400)
        XCTAssertEqual(plan.predictedLoss, 0.080, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(plan.achieved.searchedAverage, 4.0)
    }

    func testDepthHeuristicWithNoFittingPairThrows() {
        // The cheapest pair, (int2/g128, int3/g128), needs 2.333 bits.
        XCTAssertThrowsError(try BaselinePlans.depthHeuristic(profile: Self.handProfile(), options: SearchOptions(averageBits: 2.3))) {
            guard case let .noBaselinePlan(rule, target, reason)? = $0 as? SearchError else { return XCTFail("\($0)") }
            XCTAssertEqual(rule, "depth-heuristic")
            XCTAssertEqual(target, 2.3)
            XCTAssertTrue(reason.contains("8 upgraded v/down layers of 8 blocks"), reason)
        }
    }

    func testBaselinesFitAndNeverPredictBelowTheSearchedPlan() throws {
        let profile = SyntheticProfile.make(layers: 210, seed: 3)
        for budget in [2.5, 3.0, 3.5, 4.25, 4.5] {
            let options = SearchOptions(averageBits: budget)
            let searched = try PlanSearch.run(profile: profile, options: options)
            let uniform = try BaselinePlans.uniform(profile: profile, options: options)
            let heuristic = try BaselinePlans.depthHeuristic(profile: profile, options: options)
            for plan in [uniform, heuristic] {
                XCTAssertLessThanOrEqual(plan.achieved.searchedAverage, budget)
                XCTAssertEqual(plan.achieved.searchedBits, plan.layers.reduce(0) { $0 + $1.bits })
                XCTAssertGreaterThanOrEqual(plan.predictedLoss, searched.predictedLoss - 1e-12, "\(budget)")
            }
            XCTAssertEqual(heuristic.layers.filter { $0.reason != heuristic.layers[1].reason }.count, 28)
        }
    }

    func testRuleReasonRoundTripsThroughJSON() throws {
        let plan = try BaselinePlans.uniform(profile: Self.handProfile(), options: SearchOptions(averageBits: 3.0))
        let data = try JSONEncoder().encode(plan)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains(#""kind":"rule""#))
        XCTAssertEqual(try JSONDecoder().decode(QuantizationPlan.self, from: data), plan)
    }
}

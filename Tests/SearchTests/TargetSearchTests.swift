import Foundation
import XCTest
@testable import Formats
@testable import Search
@testable import Sensitivity

/// The search under a target: only loadable formats, at the bits the target stores, to proven
/// optimality (checked by brute force on a three-layer profile), and the plan's `target` field.
final class TargetSearchTests: XCTestCase {
    static let formats: [QuantFormat] = ["int2/g128", "int2/g64", "int4/g128", "nvfp4", "bf16"]
    static let shapes = [TensorShape(rows: 576, cols: 576), TensorShape(rows: 576, cols: 1536), TensorShape(rows: 192, cols: 576)]
    /// Loss per layer and format (same order as `formats`); nvfp4 is the best 4-bit format everywhere.
    static let scores: [[Double]] = [[0.50, 0.40, 0.05, 0.04, 0], [0.80, 0.70, 0.10, 0.06, 0], [0.30, 0.25, 0.03, 0.02, 0]]

    static func profile() -> SensitivityProfile {
        let layers = shapes.enumerated().map { i, shape in
            ProfileLayer(name: "model.layers.0.l\(i).weight", block: 0, kind: nil, shape: [shape.rows, shape.cols],
                         parameters: shape.count, fusedGroup: nil, candidates: formats.enumerated().map { j, f in
                FormatCandidate(format: f, score: scores[i][j], bits: LayerBits(
                    storage: f.bitCost(shape: shape, convention: .storage).totalBits,
                    autoround: f.bitCost(shape: shape, convention: .autoround).totalBits))
            })
        }
        return SensitivityProfile(
            model: ModelIdentity(path: "three", architecture: "llama", fingerprint: "3", totalParameters: layers.reduce(0) { $0 + $1.parameters },
                                 fixedTensors: []),
            calibration: CalibrationSettings(file: "none", sha256: "", samples: 0, sequenceLength: 0, seed: 0, tokens: 0),
            estimator: "synthetic", formats: formats, layers: layers)
    }

    /// Least loss over every assignment the target loads within `capacity` bits, or nil.
    func bruteForce(_ profile: SensitivityProfile, target: DeploymentTarget, counting: CostConvention, capacity: Int) -> Double? {
        var best: Double?
        let n = Self.formats.count
        for code in 0..<(n * n * n) {
            var choice = [code % n, (code / n) % n, code / (n * n)], bits = 0, loss = 0.0, ok = true
            for (i, j) in choice.enumerated() {
                let layer = profile.layers[i], candidate = layer.candidates[j]
                guard target.storedFormat(candidate.format, shape: layer.tensorShape) != nil else { ok = false; break }
                bits += SearchProblem.layerBits(layer, candidate, counting: counting, target: target)
                loss += candidate.score
            }
            choice.removeAll()
            if ok, bits <= capacity, loss < (best ?? .infinity) { best = loss }
        }
        return best
    }

    func testEveryTargetsPlanIsTheBruteForceOptimum() throws {
        let profile = Self.profile()
        for target in DeploymentTarget.allCases where target != .vllm {
            for counting in CostConvention.allCases {
                for budget in [2.2, 2.3, 2.6, 3.0, 4.2, 4.4, 4.6, 9.0] {
                    let options = SearchOptions(averageBits: budget, counting: counting, sharing: .none, target: target)
                    let problem = try SearchProblem(profile: profile, options: options)
                    let capacity = problem.capacity(averageBits: budget)
                    let expected = bruteForce(profile, target: target, counting: counting, capacity: capacity)
                    let label = "\(target) \(counting) \(budget)"
                    guard let expected else {
                        XCTAssertThrowsError(try PlanSearch.run(profile: profile, options: options), label)
                        continue
                    }
                    let plan = try PlanSearch.run(profile: profile, options: options)
                    XCTAssertEqual(plan.predictedLoss, expected, accuracy: 1e-12, label)
                    XCTAssertLessThanOrEqual(plan.achieved.searchedBits, capacity, label)
                    XCTAssertEqual(plan.target, target, label)
                    for (layer, decision) in zip(profile.layers, plan.layers) {
                        XCTAssertNotNil(target.storedFormat(decision.format, shape: layer.tensorShape), label)
                    }
                }
            }
        }
    }

    /// At 4.4 bits `any` takes NVFP4 somewhere; `autoround` cannot, loses more, and pays g64 scales
    /// for int2/g128 on 576 inputs; `llmcompressor` never gives a 576-input layer a g128 group.
    func testTheTargetChangesTheOptimum() throws {
        let profile = Self.profile()
        func plan(_ target: DeploymentTarget, _ budget: Double) throws -> QuantizationPlan {
            try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: budget, sharing: .none, target: target))
        }
        let any = try plan(.any, 4.4), autoround = try plan(.autoround, 4.4)
        XCTAssertTrue(any.layers.contains { $0.format == "nvfp4" })
        XCTAssertFalse(autoround.layers.contains { $0.format == .nvfp4 })
        XCTAssertGreaterThan(autoround.predictedLoss, any.predictedLoss)
        let low = try plan(.autoround, 2.3)
        let first = try XCTUnwrap(low.layers.first)
        if first.format == "int2/g128" {
            XCTAssertEqual(first.bits, 746_496)
            guard case .fallback(let note) = first.reason else { return XCTFail("\(first.reason)") }
            XCTAssertTrue(note.contains("int2/g64"), note)
        }
        for budget in [2.3, 3.0, 4.4] {
            let p = try plan(.llmcompressor, budget)
            XCTAssertNotEqual(p.layers[0].format, "int2/g128")
            XCTAssertNotEqual(p.layers[2].format, "int2/g128")
        }
    }

    func testRefusedEverywhereNamesTheLayerAndTheTarget() throws {
        var profile = Self.profile()
        profile.formats = ["nvfp4"]
        profile.layers = profile.layers.map { var l = $0; l.candidates = l.candidates.filter { $0.format == .nvfp4 }; return l }
        XCTAssertThrowsError(try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 8, target: .autoround))) {
            let text = $0.localizedDescription
            XCTAssertTrue(text.contains("model.layers.0.l0.weight") && text.contains("target autoround") && text.contains("nvfp4"), text)
        }
    }

    func testPlanRecordsItsTargetAndOldPlansReadAsAny() throws {
        let plan = try PlanSearch.run(profile: Self.profile(), options: SearchOptions(averageBits: 4.4, sharing: .none, target: .llmcompressor))
        let data = try JSONEncoder().encode(plan)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["target"] as? String, "llmcompressor")
        XCTAssertEqual(try JSONDecoder().decode(QuantizationPlan.self, from: data), plan)
        object["target"] = nil
        let old = try JSONDecoder().decode(QuantizationPlan.self, from: try JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(old.target, .any)
        XCTAssertEqual(old.layers, plan.layers)
    }
}

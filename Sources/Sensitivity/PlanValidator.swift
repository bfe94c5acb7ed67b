import Foundation
import Model
import Formats
import TensorCore

/// A random mixed-precision plan used to validate a profile.
public struct ValidationPlan: Sendable, Equatable {
    /// Index into the profiled formats, per layer (model order).
    public var choices: [Int]
    /// The average bits per weight it was drawn for, and the one it has (storage convention).
    public var target: Double
    public var averageBits: Double
}

/// Draws seeded random plans over fused groups and measures their true KL on held-out windows.
struct PlanValidator {
    let model: LlamaModel
    let formats: [QuantFormat]
    /// Formats the plans mix, sorted by nominal bits per weight.
    let planFormats: [QuantFormat]
    let bitRange: ClosedRange<Double>
    let seed: UInt64
    /// Input quantizers of the activation formats: the plans' replays run them.
    var inputQuantizers = ProfileInputQuantizers.none

    /// Plans: per plan a target t uniform in `bitRange`; every fused group (q/k/v, gate/up; other
    /// layers alone) starts at a uniformly random plan format; then, while the average is more than
    /// one (largest) group step off t, a random group that can move toward t moves one format up or down.
    /// All draws from SplitMix64(seed ^ 0x5EED).
    /// - Complexity: O(plans x (groups + moves)).
    func drawPlans(count: Int, layers: [LayerMeasurement]) -> [ValidationPlan] {
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        let groups = Dictionary(grouping: layers.indices) { fusedGroup(layers[$0].id) ?? layers[$0].id.weightName }
            .sorted { $0.value[0] < $1.value[0] }.map(\.value)
        let index = planFormats.map { f in formats.firstIndex(of: f)! }
        let weights = Double(layers.reduce(0) { $0 + $1.shape.count })
        func groupBits(_ g: [Int], _ level: Int) -> Double { g.reduce(0) { $0 + Double(layers[$1].bits[index[level]].storage) } }
        return (0..<count).map { _ in
            let target = bitRange.lowerBound + Double(rng.nextUnitFloat()) * (bitRange.upperBound - bitRange.lowerBound)
            var level = groups.map { _ in Int(rng.next() % UInt64(planFormats.count)) }
            var total = zip(groups, level).reduce(0.0) { $0 + groupBits($1.0, $1.1) }
            let tolerance = groups.map { groupBits($0, 1) - groupBits($0, 0) }.max()! / weights
            var moves = 0
            while abs(total / weights - target) > tolerance && moves < 100 * groups.count {
                moves += 1
                let up = total / weights < target
                let g = Int(rng.next() % UInt64(groups.count))
                guard up ? level[g] + 1 < planFormats.count : level[g] > 0 else { continue }
                total -= groupBits(groups[g], level[g])
                level[g] += up ? 1 : -1
                total += groupBits(groups[g], level[g])
            }
            var choices = [Int](repeating: 0, count: layers.count)
            for (g, members) in groups.enumerated() { for l in members { choices[l] = index[level[g]] } }
            return ValidationPlan(choices: choices, target: target, averageBits: total / weights)
        }
    }

    /// Measures each plan's mean KL on `windows` (all positions) and correlates it with the predicted
    /// sum of scores of every estimator in `scores`. Estimators whose correlation is undefined
    /// (constant predictions) are left out.
    func validate(layers: [LayerMeasurement], scores: ScoreTable, windows: [[Int]], plans count: Int,
                  progress: ((ProfilerProgress) -> Void)?) throws -> [EstimatorValidation] {
        let plans = drawPlans(count: count, layers: layers)
        let replay = try LayerReplay(model: model, windows: windows)
        let stage = StageProgress(stage: "validation", total: plans.count, report: progress)
        var measured: [Double] = []
        for (p, plan) in plans.enumerated() {
            let inputs = inputQuantizers.plan(Dictionary(uniqueKeysWithValues: layers.indices.map { (layers[$0].id, plan.choices[$0]) }))
            measured.append(max(0, try replay.meanKL(replacing: try quantizedWeights(layers: layers, plan: plan), inputQuantizers: inputs)))
            stage.step(p + 1)
        }
        return SensitivityEstimator.allCases.compactMap { estimator in
            guard let table = scores[estimator] else { return nil }
            let predicted = plans.map { plan in plan.choices.enumerated().reduce(0.0) { $0 + table[$1.offset][$1.element] } }
            guard let rho = Correlation.spearman(predicted, measured), let r = Correlation.pearson(predicted, measured) else { return nil }
            let points = plans.indices.map {
                ValidationPoint(layer: nil, format: nil, predicted: predicted[$0], measured: measured[$0],
                                averageBits: plans[$0].averageBits)
            }
            return EstimatorValidation(estimator: estimator.rawValue, spearman: rho, pearson: r, points: points)
        }
    }

    /// Every layer's round-to-nearest weight in its plan format (blocks decoded one at a time).
    func quantizedWeights(layers: [LayerMeasurement], plan: ValidationPlan) throws -> [LayerID: Matrix] {
        var out: [LayerID: Matrix] = [:]
        var block: (index: Int, weights: LlamaBlockWeights)?
        for (l, layer) in layers.enumerated() {
            if block?.index != layer.id.block { block = (layer.id.block, try model.loadBlock(layer.id.block)) }
            out[layer.id] = try formats[plan.choices[l]].quantizer.fakeQuantize(block!.weights[layer.id.kind],
                                                                               name: layer.id.weightName, adjustments: nil)
        }
        return out
    }
}

/// The fused-sibling group of a layer: `model.layers.N.self_attn.qkv_proj` for q/k/v,
/// `model.layers.N.mlp.gate_up_proj` for gate/up, nil for o and down.
public func fusedGroup(_ id: LayerID) -> String? {
    switch id.kind {
    case .q, .k, .v: return "model.layers.\(id.block).self_attn.qkv_proj"
    case .gate, .up: return "model.layers.\(id.block).mlp.gate_up_proj"
    case .o, .down: return nil
    }
}

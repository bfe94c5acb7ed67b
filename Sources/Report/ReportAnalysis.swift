import Formats
import Foundation
import Search
import Sensitivity

/// Facts about one candidate format over the searched layers.
public struct FormatFacts: Sendable, Equatable {
    public var name: QuantFormat
    /// Bits of all searched layers in this format / their parameters (under the report's counting).
    public var bitsPerWeight: Double
    /// Layers whose score is exactly 0.
    public var zeroLayers: Int
    /// Every layer scores 0 although the format has fewer than 16 bits per weight: the weights already
    /// lie on this format's grid (e.g. the default GGUF model's Q4_1 weights under `int4a/g32`).
    public var isExactOnModel: Bool
}

/// One format applied to every searched layer: its average bits and predicted loss.
public struct UniformBaseline: Sendable, Equatable {
    public var format: QuantFormat
    /// Average bits per weight in the report's scope (searched layers, or whole model with fixed tensors).
    public var averageBits: Double
    /// Sum of the layers' scores in this format, nats/token.
    public var predictedLoss: Double
}

/// Numbers derived once from the inputs and shared by every section.
public struct ReportAnalysis: Sendable {
    public let counting: CostConvention
    public let scope: BudgetScope
    public let formats: [FormatFacts]
    /// Format indices (into `profile.formats`) by ascending bits per weight.
    public let formatOrder: [Int]
    /// Uniform baselines in `formatOrder`.
    public let baselines: [UniformBaseline]
    /// The format ranking layers by sensitivity: the fewest bits per weight among formats with a
    /// positive score somewhere (typically the 2-bit format); nil if every score is 0.
    public let referenceFormat: Int?
    /// Layer indices, most sensitive first (descending score in the reference format, ties by index).
    public let ranking: [Int]
    /// scores[layer * formatCount + format], aligned with `profile.formats` (NaN if not measured).
    public let scores: [Double]
    /// bits[layer * formatCount + format] under `counting`.
    public let bits: [Int]
    public let searchedParameters: Int
    public let fixedParameters: Int
    public let fixedBits: Int
    /// Positions of each format name in `profile.formats`.
    public let formatIndex: [QuantFormat: Int]

    /// Analyses a profile; `counting` and `scope` come from the plans or sweep when given.
    /// - Complexity: O(layers x formats + layers log layers).
    public init(profile: SensitivityProfile, counting: CostConvention, scope: BudgetScope) {
        self.counting = counting
        self.scope = scope
        let f = profile.formats.count, l = profile.layers.count
        var index: [QuantFormat: Int] = [:]
        for (i, name) in profile.formats.enumerated() { index[name] = i }
        formatIndex = index
        var scores = [Double](repeating: .nan, count: l * f), bits = [Int](repeating: 0, count: l * f)
        for (li, layer) in profile.layers.enumerated() {
            for c in layer.candidates {
                guard let fi = index[c.format] else { continue }
                scores[li * f + fi] = c.score
                bits[li * f + fi] = c.bits[counting]
            }
        }
        self.scores = scores
        self.bits = bits
        searchedParameters = profile.layers.reduce(0) { $0 + $1.parameters }
        fixedParameters = profile.model.fixedTensors.reduce(0) { $0 + $1.parameters }
        fixedBits = profile.model.fixedTensors.reduce(0) { $0 + $1.bits }
        var facts: [FormatFacts] = [], baselines: [UniformBaseline] = []
        for (fi, name) in profile.formats.enumerated() {
            var totalBits = 0, loss = 0.0, zeros = 0
            for li in 0..<l {
                totalBits += bits[li * f + fi]
                let s = scores[li * f + fi]
                if s == 0 { zeros += 1 }
                if s.isFinite { loss += s }
            }
            let bpw = Double(totalBits) / Double(max(searchedParameters, 1))
            facts.append(FormatFacts(name: name, bitsPerWeight: bpw, zeroLayers: zeros,
                                     isExactOnModel: l > 0 && zeros == l && bpw < 15.5))
            let scoped = scope == .searched ? bpw
                : Double(totalBits + fixedBits) / Double(max(searchedParameters + fixedParameters, 1))
            baselines.append(UniformBaseline(format: name, averageBits: scoped, predictedLoss: loss))
        }
        formats = facts
        let order = (0..<f).sorted { (facts[$0].bitsPerWeight, $0) < (facts[$1].bitsPerWeight, $1) }
        formatOrder = order
        self.baselines = order.map { baselines[$0] }
        let reference = order.first { fi in (0..<l).contains { scores[$0 * f + fi] > 0 } }
        referenceFormat = reference
        if let r = reference {
            ranking = (0..<l).sorted { a, b in
                let sa = scores[a * f + r], sb = scores[b * f + r]
                return sa != sb ? (sa.isNaN ? -1 : sa) > (sb.isNaN ? -1 : sb) : a < b
            }
        } else {
            ranking = Array(0..<l)
        }
    }

    /// Counting and scope of the first plan, else the sweep's, else storage over the searched layers.
    public init(input: ReportInput) {
        let budget = input.plans.first?.plan.budget ?? input.sweep?.plans.first?.budget
        self.init(profile: input.profile, counting: budget?.counting ?? .storage, scope: budget?.scope ?? .searched)
    }

    /// Score of `layer` in format `format` (indices into the profile).
    @inline(__always) public func score(layer: Int, format: Int) -> Double { scores[layer * formats.count + format] }
}

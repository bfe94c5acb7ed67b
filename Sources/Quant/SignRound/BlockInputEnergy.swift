import Model
import Formats
import TensorCore

/// Per-input-channel activation energy of a block's linear layers: for each input site, h_j = sum over
/// the tokens of x_j^2 (the diagonal of the site's Gram matrix X^T X), measured by running the block
/// on `hidden` (samples x L rows). The importance of `ImportanceWeightedRTN`.
enum BlockInputEnergy {
    /// h per site (input width long), accumulated in Double per chunk of 8 samples.
    /// - Complexity: one block forward over all samples plus O(tokens x in) per site.
    static func measure(model: LlamaModel, block: Int, weights: LlamaBlockWeights, hidden: Matrix,
                        length: Int) -> [LinearInputSite: [Float]] {
        var sums: [LinearInputSite: [Double]] = [:]
        let samples = hidden.rows / length, chunk = 8
        for first in stride(from: 0, to: samples, by: chunk) {
            var h = hidden.rows((first * length)..<(min(samples, first + chunk) * length))
            model.forwardBlock(index: block, weights: weights, hidden: &h, sequenceLength: length, observer: { site, x, r, c in
                var acc = [Float](repeating: 0, count: c)
                for i in 0..<r { for j in 0..<c { acc[j] += x[i * c + j] * x[i * c + j] } }
                if sums[site] == nil { sums[site] = [Double](repeating: 0, count: c) }
                for j in 0..<c { sums[site]![j] += Double(acc[j]) }
            })
        }
        return sums.mapValues { $0.map { Float($0) } }
    }

    /// The importance-weighted RTN clips of every planned layer of the block that takes clips.
    /// - Throws: `QuantError` for non-finite weights.
    static func startingClips(model: LlamaModel, block: Int, weights: LlamaBlockWeights, hidden: Matrix, length: Int,
                              formats: [LinearKind: QuantFormat]) throws -> [LinearKind: RoundingAdjustments] {
        guard !formats.isEmpty else { return [:] }
        let energy = measure(model: model, block: block, weights: weights, hidden: hidden, length: length)
        var out: [LinearKind: RoundingAdjustments] = [:]
        for (kind, format) in formats {
            guard let h = energy[kind.inputSite] else { continue }
            let name = LayerID(block: block, kind: kind).description
            out[kind] = try ImportanceWeightedRTN.search(weights: weights[kind], format: format, importance: h, name: name)
        }
        return out
    }
}

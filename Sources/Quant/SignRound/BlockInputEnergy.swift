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
        var copy = hidden
        return measureAndAdvance(model: model, block: block, weights: weights, hidden: &copy, length: length)
    }

    /// `measure`, leaving the block's outputs in `hidden`; the first `skippedPositions` of every
    /// window run as context but are left out of the sums (`QuantizeOptions.skippedPositions`).
    static func measureAndAdvance(model: LlamaModel, block: Int, weights: LlamaBlockWeights, hidden: inout Matrix,
                                  length: Int, skippedPositions skip: Int = 0) -> [LinearInputSite: [Float]] {
        var sums: [LinearInputSite: [Double]] = [:]
        let samples = hidden.rows / length, chunk = 8, width = hidden.cols
        for first in stride(from: 0, to: samples, by: chunk) {
            let rows = (first * length)..<(min(samples, first + chunk) * length)
            var h = hidden.rows(rows)
            model.forwardBlock(index: block, weights: weights, hidden: &h, sequenceLength: length, observer: { site, x, r, c in
                var acc = [Float](repeating: 0, count: c)
                for i in 0..<r where i % length >= skip { for j in 0..<c { acc[j] += x[i * c + j] * x[i * c + j] } }
                if sums[site] == nil { sums[site] = [Double](repeating: 0, count: c) }
                for j in 0..<c { sums[site]![j] += Double(acc[j]) }
            })
            hidden.data.replaceSubrange((rows.lowerBound * width)..<(rows.upperBound * width), with: h.data)
        }
        return sums.mapValues { $0.map { Float($0) } }
    }

    /// The importance-weighted RTN clips of every planned layer of the block that takes clips, with
    /// `energy` (per input site, from `measure`) as importance.
    /// - Throws: `QuantError` for non-finite weights.
    static func startingClips(block: Int, weights: LlamaBlockWeights, energy: [LinearInputSite: [Float]],
                              formats: [LinearKind: QuantFormat]) throws -> [LinearKind: RoundingAdjustments] {
        var out: [LinearKind: RoundingAdjustments] = [:]
        for (kind, format) in formats {
            guard let h = energy[kind.inputSite] else { continue }
            let name = LayerID(block: block, kind: kind).description
            out[kind] = try ImportanceWeightedRTN.search(weights: weights[kind], format: format, importance: h, name: name)
        }
        return out
    }
}

import Dispatch
import Formats
import TensorCore

extension SignRound {
    /// Importance-weighted round-to-nearest of one layer for `objective`: the clips of
    /// `ImportanceWeightedRTN.search` with the diagonal of the objective's Gram as importance (each
    /// input channel's activation energy). Should the searched clips lose to plain RTN on the full
    /// objective (the diagonal ignores correlations between inputs), plain RTN is kept, so the result's
    /// loss is never above `rtnLoss`. fp8/bf16 are rounded to nearest (`adjustments` nil).
    /// - Throws: `SignRoundError.gramShape` when the Gram does not fit `w`; `QuantError` for bad weights.
    /// - Complexity: the search's fake quantizations plus two sgemms out x in x in (the two losses).
    public static func weightedRTN(weights w: Matrix, format: QuantFormat, objective: LayerObjective,
                                   name: String = "weight") throws -> SignRoundResult {
        guard objective.gram.rows == w.cols, objective.gram.cols == w.cols else {
            throw SignRoundError.gramShape(layer: name, expected: "\(w.cols) x \(w.cols)",
                                           actual: "\(objective.gram.rows) x \(objective.gram.cols)")
        }
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
        let plain = try format.quantizer.fakeQuantize(w, name: name, adjustments: nil)
        let rtnLoss = objective.loss(candidate: plain, weights: w)
        let n = w.cols
        let importance = (0..<n).map { max(objective.gram.data[$0 * n + $0], 0) }
        var adjustments = try ImportanceWeightedRTN.search(weights: w, format: format, importance: importance, name: name)
        var q = plain, loss = rtnLoss
        if let a = adjustments {
            let candidate = try format.quantizer.fakeQuantize(w, name: name, adjustments: a)
            let l = objective.loss(candidate: candidate, weights: w)
            if l < rtnLoss { q = candidate; loss = l } else { adjustments = nil }
        }
        return SignRoundResult(adjustments: adjustments, weights: q, rtnLoss: rtnLoss, bestLoss: loss, bestIteration: 0,
                               lossHistory: [loss], seconds: seconds(since: start),
                               cpuSeconds: processCPUSeconds() - cpuStart,
                               gemmFlops: 4 * Double(w.rows) * Double(w.cols) * Double(w.cols), rowUpdatesPerStep: nil)
    }
}

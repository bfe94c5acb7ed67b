import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Formats
import TensorCore

/// SignRound (Cheng et al. 2023, AutoRound) on one linear layer: signed gradient descent on rounding
/// offsets V and clipping factors alpha, beta to minimise the layer's output reconstruction error.
///
/// Each iteration evaluates the objective at the current parameters (one sgemm, see
/// `LayerObjective`, or for int groups of 64 and more and for FP4 the cheaper partial products of
/// `SignRoundGroupProducts`, equal up to Float summation order; both on the step Gram
/// `SignRoundStepGram`, Hqq rounded to half precision), keeps them if the loss is the lowest so far, and moves every parameter by
/// one `SignRoundUpdate`: -lr_t x sign(gradient) with lr_t = lr (1 - t / iterations), clamping V to
/// [-0.5, 0.5] and alpha, beta to [0.5, 1]. Parameters start at V = 0, alpha = beta = 1, so iteration 0 is round-to-nearest
/// and the kept loss is never above it. The parameters after the last step are evaluated too. The
/// errors reported are measured again on the exact Gram; should the kept parameters lose to
/// round-to-nearest there (a difference below the half-precision rounding), round-to-nearest is kept.
/// fp8 and bf16 layers are only rounded to nearest: AutoRound does not tune them either, and FP8's
/// 3 mantissa bits over 128 x 128 blocks leave little to gain from rounding choices at this cost.
/// No randomness is involved: the objective is exact over all calibration tokens (no minibatches).
public enum SignRound {
    /// Whether SignRound tunes `format` (int, MXFP4, NVFP4) rather than rounding it to nearest.
    public static func tunes(_ format: QuantFormat) -> Bool {
        [.int, .mxfp4, .nvfp4].contains(format.family)
    }

    /// Optimises the quantization of `w` in `format` for `objective`.
    /// - Throws: `SignRoundError` for shapes that do not fit or bad options; `QuantError.nonFiniteWeight`.
    /// - Complexity: (iterations + 1) sgemms of out x in x in plus O(out x in) elementwise work each; with
    ///   group partial products one sgemm, then O(out x groups x in + changed codes x in) per iteration.
    public static func optimize(weights w: Matrix, format: QuantFormat, objective: LayerObjective,
                                options: SignRoundOptions = .init(), name: String = "weight") throws -> SignRoundResult {
        try options.validate()
        guard objective.gram.rows == w.cols else {
            throw SignRoundError.gramShape(layer: name, expected: "\(w.cols) x \(w.cols)",
                                           actual: "\(objective.gram.rows) x \(objective.gram.cols)")
        }
        if let e = objective.crossTerm, e.rows != w.rows || e.cols != w.cols {
            throw SignRoundError.gramShape(layer: name, expected: "cross term \(w.rows) x \(w.cols)",
                                           actual: "\(e.rows) x \(e.cols)")
        }
        try WeightCheck.requireFinite(w, name: name)
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
        let quantizer = format.quantizer
        guard let layout = SignRoundLayout(format: format, weights: w), options.iterations > 0 else {
            let q = try quantizer.fakeQuantize(w, name: name, adjustments: nil)
            let loss = objective.loss(candidate: q, weights: w)
            return SignRoundResult(adjustments: nil, weights: q, rtnLoss: loss, bestLoss: loss, bestIteration: 0,
                                   lossHistory: [loss], seconds: seconds(since: start),
                                   cpuSeconds: processCPUSeconds() - cpuStart,
                                   gemmFlops: 2 * Double(w.rows) * Double(w.cols) * Double(w.cols),
                                   rowUpdatesPerStep: nil)
        }
        var state = SignRoundState(layout: layout, weights: w, objective: objective)
        let history = state.run(weights: w, objective: objective, options: options)
        var adjustments = RoundingAdjustments(offsets: state.bestV, maxClip: state.bestAlpha,
                                              minClip: layout.hasMinClip ? state.bestBeta : nil)
        var q = try quantizer.fakeQuantize(w, name: name, adjustments: adjustments)
        let rtn = try quantizer.fakeQuantize(w, name: name, adjustments: nil)
        let rtnLoss = objective.loss(candidate: rtn, weights: w)
        var bestLoss = objective.loss(candidate: q, weights: w), bestIteration = state.bestIteration
        if bestLoss > rtnLoss {
            adjustments = RoundingAdjustments(offsets: [Float](repeating: 0, count: w.count),
                                              maxClip: [Float](repeating: 1, count: layout.groupCount),
                                              minClip: layout.hasMinClip ? [Float](repeating: 1, count: layout.groupCount) : nil)
            (q, bestLoss, bestIteration) = (rtn, rtnLoss, 0)
        }
        return SignRoundResult(adjustments: adjustments, weights: q, rtnLoss: rtnLoss,
                               bestLoss: bestLoss, bestIteration: bestIteration,
                               lossHistory: history, seconds: seconds(since: start),
                               cpuSeconds: processCPUSeconds() - cpuStart,
                               gemmFlops: 2 * Double(history.count) * Double(w.rows) * Double(w.cols) * Double(w.cols),
                               rowUpdatesPerStep: state.rowUpdates.map { Double($0) / Double(max(options.iterations, 1)) })
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// CPU time used by the process so far (all threads), seconds.
    public static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

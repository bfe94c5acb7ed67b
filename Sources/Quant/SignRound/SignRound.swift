import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Formats
import TensorCore

/// Options of SignRound's per-layer optimisation (AutoRound's defaults).
public struct SignRoundOptions: Sendable, Equatable {
    /// Signed-gradient steps; 0 gives round-to-nearest.
    public var iterations: Int = 200
    /// Initial step size; nil means 1 / iterations (AutoRound's default). The step at iteration t
    /// (0-based) is lr x (1 - t / iterations): linear decay to 0.
    public var learningRate: Float? = nil
    /// How each step forms D Hqq (both give the same quantity up to Float summation order).
    public var stepProduct: SignRoundStepProduct = .automatic

    public init(iterations: Int = 200, learningRate: Float? = nil) {
        self.iterations = iterations
        self.learningRate = learningRate
    }

    /// The initial step size actually used.
    public var effectiveLearningRate: Float { learningRate ?? 1 / Float(max(iterations, 1)) }

    /// - Throws: `SignRoundError.invalidOptions` for negative iterations or a non-positive learning rate.
    public func validate() throws {
        guard iterations >= 0 else { throw SignRoundError.invalidOptions(reason: "iterations must be >= 0, got \(iterations)") }
        if let lr = learningRate, !(lr > 0 && lr.isFinite) {
            throw SignRoundError.invalidOptions(reason: "learning rate must be positive and finite, got \(lr)")
        }
    }
}

/// How SignRound's step forms G = D Hqq + E: one sgemm per step, or the group partial products
/// (`SignRoundGroupProducts`, chosen automatically for int groups of 64 or more and for FP4).
public enum SignRoundStepProduct: String, Sendable, Equatable, CaseIterable {
    /// Group partial products for int groups of 64 or more and for MXFP4/NVFP4 (when they fit in
    /// 1 GiB), else the sgemm.
    case automatic
    /// One sgemm of out x in x in per step.
    case sgemm
    /// `SignRoundGroupProducts` for every tunable layer.
    case groupPartials = "group-partials"
}

/// What SignRound found for one layer.
public struct SignRoundResult: Sendable {
    /// The learned V, alpha, beta of the best iteration (nil for formats that are only rounded).
    public var adjustments: RoundingAdjustments?
    /// The dequantized weights of the best iteration (the format's own `fakeQuantize` with `adjustments`).
    public var weights: Matrix
    /// Objective of round-to-nearest, squared output per token, on the exact Gram.
    public var rtnLoss: Double
    /// Objective of the kept iteration on the exact Gram (never above `rtnLoss`).
    public var bestLoss: Double
    /// Iteration whose parameters were kept (0 = round-to-nearest; `iterations` = after the last step).
    public var bestIteration: Int
    /// Objective at every evaluated iteration 0...iterations on the step Gram (`SignRoundStepGram`:
    /// Hqq in half precision, within about 1e-3 of the exact objective).
    public var lossHistory: [Double]
    /// Wall time of the optimisation, seconds.
    public var seconds: Double
    /// CPU time of the whole process during the optimisation (all threads), seconds.
    public var cpuSeconds: Double
    /// Floating-point operations the step loop's sgemms take (2 x out x in x in per evaluation). With
    /// group partial products (see `SignRoundStepProduct`) the loop does less work for the same result: this
    /// is then the sgemm-equivalent count.
    public var gemmFlops: Double
    /// Mean partial-product row updates per step when the loop used group partial products (codes that
    /// differ from those of two steps back; each costs one axpy of `in` values), nil when every step
    /// used the sgemm.
    public var rowUpdatesPerStep: Double?
}

/// SignRound (Cheng et al. 2023, AutoRound) on one linear layer: signed gradient descent on rounding
/// offsets V and clipping factors alpha, beta to minimise the layer's output reconstruction error.
///
/// Each iteration evaluates the objective at the current parameters (one sgemm, see
/// `LayerObjective`, or for int groups of 64 and more and for FP4 the cheaper partial products of
/// `SignRoundGroupProducts`, equal up to Float summation order; both on the step Gram
/// `SignRoundStepGram`, Hqq rounded to half precision), keeps them if the loss is the lowest so far, and moves every parameter by
/// -lr_t x sign(gradient) with lr_t = lr (1 - t / iterations), clamping V to [-0.5, 0.5] and alpha,
/// beta to [0.5, 1]. Parameters start at V = 0, alpha = beta = 1, so iteration 0 is round-to-nearest
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
        var state = SignRoundState(layout: layout)
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

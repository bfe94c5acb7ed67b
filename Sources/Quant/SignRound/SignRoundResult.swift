import Formats
import TensorCore

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

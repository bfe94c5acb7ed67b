import Formats
import TensorCore

/// SignRound's parameters of one linear layer (rounding offsets V, clips alpha and beta), stepped
/// from a gradient dL/dQ computed elsewhere: the building block of block-wise SignRound, where the
/// loss is a whole transformer block's output error and dL/dQ comes from the block's reverse pass.
///
/// Parameters start at V = 0, alpha = beta = 1 (round-to-nearest). `quantized(_:)` gives
/// Q(W; V, alpha, beta) with the format's own arithmetic (bit-identical to its `fakeQuantize` with
/// `adjustments`); `step(weights:gradient:learningRate:)` turns dL/dQ into straight-through
/// gradients of V, alpha, beta (see `SignRoundKernel`) and moves each by one `SignRoundUpdate`
/// (-lr x sign(gradient), V clamped to [-0.5, 0.5], alpha and beta to [0.5, 1]).
public struct SignRoundParameters: Sendable {
    let layout: SignRoundLayout
    /// V, one per weight (row-major, out x in).
    public internal(set) var offsets: [Float]
    /// alpha, one per group (row-major groups, as `QuantizedTensor.scales`).
    public internal(set) var maxClip: [Float]
    /// beta, one per group; only a parameter of int formats (stays 1 otherwise).
    public internal(set) var minClip: [Float]

    /// The parameters of `w` in `format`, or nil when SignRound does not tune the format (fp8, bf16:
    /// those are rounded to nearest) or its granularity.
    public init?(format: QuantFormat, weights w: Matrix) {
        guard SignRound.tunes(format), let layout = SignRoundLayout(format: format, weights: w) else { return nil }
        self.layout = layout
        offsets = [Float](repeating: 0, count: layout.rows * layout.cols)
        maxClip = [Float](repeating: 1, count: layout.groupCount)
        minClip = maxClip
    }

    /// The learned parameters in the form the quantizers take.
    public var adjustments: RoundingAdjustments {
        RoundingAdjustments(offsets: offsets, maxClip: maxClip, minClip: layout.hasMinClip ? minClip : nil)
    }

    /// Q(W; V, alpha, beta), nearest rounding. - Complexity: O(out x in).
    public func quantized(_ w: Matrix) -> Matrix {
        quantized(w, rounding: NearestRounding.self)
    }

    /// Moves the parameters one signed step down `gradient` = dL/dQ (out x in) with step size
    /// `learningRate`. - Complexity: O(out x in), no sgemm.
    public mutating func step(weights w: Matrix, gradient: Matrix, learningRate: Float) {
        step(weights: w, gradient: gradient, update: SignRoundUpdate(learningRate: learningRate))
    }

    /// Moves the parameters one step of `update` down `gradient` = dL/dQ (out x in).
    mutating func step(weights w: Matrix, gradient: Matrix, update: SignRoundUpdate) {
        precondition(gradient.rows == layout.rows && gradient.cols == layout.cols && w.rows == layout.rows
                     && w.cols == layout.cols, "SignRoundParameters.step: shapes differ from the layout")
        _ = backward(w, gradient: gradient, update: update, rounding: NearestRounding.self)
    }

    /// Q under rounding `R` (`SmoothRounding` gives the straight-through estimator's smooth model).
    func quantized<R: SignRoundRounding>(_ w: Matrix, rounding: R.Type) -> Matrix {
        precondition(w.rows == layout.rows && w.cols == layout.cols, "SignRoundParameters: weight shape differs")
        let kernel = SignRoundKernel<R>(layout: layout)
        var q = Matrix(rows: w.rows, cols: w.cols), d = [Float](repeating: 0, count: w.data.count)
        w.data.withUnsafeBufferPointer { pw in offsets.withUnsafeBufferPointer { pv in
            maxClip.withUnsafeBufferPointer { pa in minClip.withUnsafeBufferPointer { pb in
                d.withUnsafeMutableBufferPointer { pd in q.data.withUnsafeMutableBufferPointer { pq in
                    kernel.forward(w: pw.baseAddress!, v: pv.baseAddress!, alpha: pa.baseAddress!, beta: pb.baseAddress!,
                                   d: pd.baseAddress!, q: pq.baseAddress!)
                } }
            } }
        } }
        return q
    }

    /// The gradients of V, alpha, beta for dL/dQ = `gradient` under rounding `R`, stepping the
    /// parameters when `learningRate` is non-zero (beta's gradient is 0 for FP4 formats).
    @discardableResult
    mutating func backward<R: SignRoundRounding>(_ w: Matrix, gradient: Matrix, learningRate: Float,
                                                 rounding: R.Type) -> (v: [Float], alpha: [Float], beta: [Float]) {
        backward(w, gradient: gradient, update: SignRoundUpdate(learningRate: learningRate), rounding: rounding)
    }

    /// `backward(_:gradient:learningRate:rounding:)` with the step given as a `SignRoundUpdate`.
    @discardableResult
    mutating func backward<R: SignRoundRounding>(_ w: Matrix, gradient: Matrix, update: SignRoundUpdate,
                                                 rounding: R.Type) -> (v: [Float], alpha: [Float], beta: [Float]) {
        let kernel = SignRoundKernel<R>(layout: layout)
        var gv = [Float](repeating: 0, count: offsets.count)
        var ga = [Float](repeating: 0, count: maxClip.count), gb = ga
        w.data.withUnsafeBufferPointer { pw in gradient.data.withUnsafeBufferPointer { pg in
            offsets.withUnsafeMutableBufferPointer { pv in maxClip.withUnsafeMutableBufferPointer { pa in
                minClip.withUnsafeMutableBufferPointer { pb in
                    gv.withUnsafeMutableBufferPointer { ogv in ga.withUnsafeMutableBufferPointer { oga in
                        gb.withUnsafeMutableBufferPointer { ogb in
                            kernel.backward(w: pw.baseAddress!, g: pg.baseAddress!, gradScale: 1, v: pv.baseAddress!,
                                            alpha: pa.baseAddress!, beta: pb.baseAddress!,
                                            out: .init(gradV: ogv.baseAddress!, gradAlpha: oga.baseAddress!,
                                                       gradBeta: ogb.baseAddress!, update: update))
                        }
                    } }
                }
            } }
        } }
        return (gv, ga, gb)
    }

    /// Sets the parameters directly (tests, finite differences).
    mutating func set(offsets v: [Float], maxClip a: [Float], minClip b: [Float]) {
        precondition(v.count == offsets.count && a.count == maxClip.count && b.count == minClip.count)
        offsets = v
        maxClip = a
        minClip = b
    }
}

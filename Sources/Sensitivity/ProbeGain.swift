import Foundation

/// The gain of `calibrated` (nats per token per unit of output error) for one format, read off the
/// layer's probes.
///
/// Each probe i gives a point (e_i, g_i): its output error e_i = tr(dW_i H dW_i^T) / tokens and its
/// gain g_i = KL_i / e_i. A format with output error e takes the gain interpolated linearly in
/// ln e between the two probes around it, and the nearest probe's gain outside their range (no
/// extrapolation). With one probe every format gets that probe's gain (the single-probe estimator).
///
/// Why more than one probe: KL / output error is not one constant per layer. The gain of the int3/g128
/// error (a coarse grid that zeroes about half of each group) can be up to about 2x away from the
/// gain that every finer error shares (int4, int8, MXFP4, NVFP4, FP8), while along the int3 direction
/// itself KL stays quadratic. So the slope depends on how coarse the error is, and a second probe at
/// a fine grid (int4/g128) pins it at that end (Guides/Sensitivity.md; tables in reports/sensitivity.md).
public enum ProbeGain {
    /// One probe's measurement.
    public struct Point: Sendable, Equatable {
        /// tr(dW H dW^T) / tokens of the probe's error (> 0 to count).
        public var outputError: Double
        /// Measured mean KL with only this layer perturbed by the probe, nats per token.
        public var kl: Double

        public init(outputError: Double, kl: Double) {
            self.outputError = outputError
            self.kl = kl
        }
    }

    /// The gain for output error `e` from `probes` (any order). Probes with output error <= 0 or a
    /// non-finite value are ignored (a probe that reproduces the layer says nothing about the slope);
    /// with none left the gain is 0. Probes with equal output error are averaged.
    /// - Complexity: O(p log p) for p probes.
    public static func gain(outputError e: Double, probes: [Point]) -> Double {
        var points: [(logError: Double, gain: Double)] = []
        for p in probes.sorted(by: { $0.outputError < $1.outputError })
        where p.outputError > 0 && p.outputError.isFinite && p.kl.isFinite {
            let point = (log(p.outputError), max(p.kl, 0) / p.outputError)
            if let last = points.last, last.logError == point.0 {
                points[points.count - 1].gain = (last.gain + point.1) / 2
            } else {
                points.append(point)
            }
        }
        guard let first = points.first, let last = points.last else { return 0 }
        guard e > 0 else { return first.gain }
        let x = log(e)
        if x <= first.logError { return first.gain }
        if x >= last.logError { return last.gain }
        let upper = points.firstIndex { $0.logError >= x }!
        let lo = points[upper - 1], hi = points[upper]
        let t = (x - lo.logError) / (hi.logError - lo.logError)
        return (1 - t) * lo.gain + t * hi.gain
    }
}

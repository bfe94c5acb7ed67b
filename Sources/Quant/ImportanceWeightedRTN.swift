import TensorCore
import Formats

/// Importance-weighted round-to-nearest: per scale group, the clipping factors (SignRound's alpha and
/// beta, which set the group's scale and, for asymmetric int, its zero point) that minimise the
/// activation-energy-weighted error
///
///     e_g(alpha, beta) = sum_{j in g} h_j (w_j - Q(w_j; alpha, beta))^2,
///
/// h_j = the input Gram diagonal (sum of x_j^2 over the calibration tokens) of input channel j. The
/// error of a group depends only on its own scale and zero point, and for a fixed scale rounding to
/// nearest minimises every term, so a grid search over the clips per group finds the best scale the
/// grid offers (AutoRound's optimized RTN, llama.cpp's imatrix quantizers search scales the same way).
///
/// Search: every group tries alpha = beta = f for each f of `grid` (1 first: plain RTN); for
/// asymmetric int formats two coordinate passes follow (beta over the grid with alpha fixed, then
/// alpha with beta fixed). A group moves only on a strictly lower error, so the result's weighted
/// error is never above plain RTN's, group by group. Every candidate is evaluated with the format's
/// own `fakeQuantize`, so the result packs bit-identically through `quantize(weights:name:adjustments:)`.
/// MXFP4 (power-of-two scales) has at most two distinct scales in [0.5, 1] x amax; NVFP4 gets the
/// whole grid through its E4M3 scale; fp8 and bf16 take no clips and are left to plain RTN (nil).
public enum ImportanceWeightedRTN {
    /// Clip factors 1, 0.975, ..., 0.5 (21 values, steps of 1/40).
    public static let defaultGrid: [Float] = (0...20).map { Float(40 - $0) / 40 }

    /// The clips minimising the weighted error of `w` (out x in) in `format` for per-input-channel
    /// importance `importance` (in values, each >= 0), or nil when the format takes no clips.
    /// - Throws: `QuantError.invalidAdjustments` naming `name` when `importance` has the wrong length
    ///   or a negative or non-finite entry, or `grid` holds a factor outside [0.5, 1];
    ///   `QuantError.nonFiniteWeight` for NaN/Inf weights.
    /// - Complexity: (grid count, x3 for asymmetric int) fake quantizations of `w` and as many O(out x in)
    ///   error passes.
    public static func search(weights w: Matrix, format: QuantFormat, importance: [Float],
                              grid: [Float] = defaultGrid, name: String = "weight") throws -> RoundingAdjustments? {
        guard importance.count == w.cols else {
            throw QuantError.invalidAdjustments(tensor: name, reason: "\(importance.count) importance values for \(w.cols) inputs")
        }
        if let bad = importance.first(where: { !($0 >= 0 && $0.isFinite) }) {
            throw QuantError.invalidAdjustments(tensor: name, reason: "importance value \(bad) is negative or not finite")
        }
        if let bad = grid.first(where: { !($0 >= 0.5 && $0 <= 1) }) {
            throw QuantError.invalidAdjustments(tensor: name, reason: "clip factor \(bad) outside [0.5, 1]")
        }
        try WeightCheck.requireFinite(w, name: name)
        guard SignRound.tunes(format), let layout = SignRoundLayout(format: format, weights: w) else { return nil }
        var s = Search(w: w, format: format, importance: importance, layout: layout, name: name)
        try s.pass(grid: grid, moving: .both)
        if layout.hasMinClip && !format.symmetric {
            try s.pass(grid: grid, moving: .minClip)
            try s.pass(grid: grid, moving: .maxClip)
        }
        return s.adjustments
    }

    /// sum_j h_j (w_j - q_j)^2 per group (row-major groups of `groupSize` inputs), in Double.
    public static func groupErrors(weights w: Matrix, candidate q: Matrix, importance h: [Float], groupSize: Int) -> [Double] {
        precondition(w.rows == q.rows && w.cols == q.cols && h.count == w.cols, "groupErrors: shapes differ")
        let perRow = ceilDiv(w.cols, groupSize)
        var out = [Double](repeating: 0, count: w.rows * perRow)
        w.data.withUnsafeBufferPointer { pw in q.data.withUnsafeBufferPointer { pq in h.withUnsafeBufferPointer { ph in
            for r in 0..<w.rows {
                for g in 0..<perRow {
                    var acc: Float = 0
                    for c in (g * groupSize)..<min(w.cols, (g + 1) * groupSize) {
                        let d = pw[r * w.cols + c] - pq[r * w.cols + c]
                        acc += ph[c] * d * d
                    }
                    out[r * perRow + g] = Double(acc)
                }
            }
        } } }
        return out
    }

    /// Which clips a search pass moves.
    enum Moving { case both, maxClip, minClip }

    /// The running best clips and errors of one search.
    struct Search {
        let w: Matrix, format: QuantFormat, importance: [Float], layout: SignRoundLayout, name: String
        var maxClip: [Float], minClip: [Float], best: [Double]

        init(w: Matrix, format: QuantFormat, importance: [Float], layout: SignRoundLayout, name: String) {
            self.w = w; self.format = format; self.importance = importance; self.layout = layout; self.name = name
            maxClip = [Float](repeating: 1, count: layout.groupCount)
            minClip = maxClip
            best = [Double](repeating: .infinity, count: layout.groupCount)
        }

        var adjustments: RoundingAdjustments {
            RoundingAdjustments(maxClip: maxClip, minClip: layout.hasMinClip ? minClip : nil)
        }

        /// Tries every factor of `grid` for the moving clip(s) of every group; keeps strict improvements.
        mutating func pass(grid: [Float], moving: Moving) throws {
            for f in grid {
                var a = maxClip, b = minClip
                if moving != .minClip { a = [Float](repeating: f, count: a.count) }
                if moving != .maxClip { b = [Float](repeating: f, count: b.count) }
                let q = try format.quantizer.fakeQuantize(w, name: name, adjustments: RoundingAdjustments(
                    maxClip: a, minClip: layout.hasMinClip ? b : nil))
                let e = ImportanceWeightedRTN.groupErrors(weights: w, candidate: q, importance: importance,
                                                          groupSize: layout.groupSize)
                for g in 0..<e.count where e[g] < best[g] {
                    best[g] = e[g]
                    maxClip[g] = a[g]
                    minClip[g] = b[g]
                }
            }
        }
    }
}

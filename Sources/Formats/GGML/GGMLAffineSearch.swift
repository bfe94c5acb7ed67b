/// The scale-and-min search of ggml's affine sub-blocks (w = scale * q - min, q in 0...nmax):
/// `make_qkx2_quants` (reference path) and `make_qkx3_quants` (importance path), which differ
/// only in their grids and in where the per-value weights come from. Runs on up to sixteen
/// sub-blocks at once, one per lane of a `GGMLWide` (two SIMD8 halves whose sums' dependency chains
/// overlap), each lane following the reference's steps.
///
/// For fixed codes q the weighted least-squares fit of x ~ scale * q + m is closed-form; the search
/// rounds the values at a grid of inverse scales, fits each, and keeps the first fit with a strictly
/// smaller weighted error. A fit's m is capped at 0 (then scale = sum w x q / sum w q^2), so the
/// stored min = -m is never negative. Every float operation is the reference's, in its order.
enum GGMLAffineSearch {
    /// Inverse scales (rmin + rdelta * is + nmax) / (max - min) for is = 0...steps.
    struct Grid {
        var rmin: Float
        var rdelta: Float
        var steps: Int

        /// q2_K's reference grid: 16 steps from -0.5 by 0.1.
        static let q2K = Grid(rmin: -0.5, rdelta: 0.1, steps: 15)
        /// q4_K's reference grid: 21 steps from -1 by 0.1.
        static let q4K = Grid(rmin: -1, rdelta: 0.1, steps: 20)
        /// q5_K's reference grid: 16 steps from -0.5 by 0.1.
        static let q5K = Grid(rmin: -0.5, rdelta: 0.1, steps: 15)
        /// The importance path's grid (`make_qkx3_quants` in q2_K, q4_K, q5_K): 37 steps from -0.9 by 0.05.
        static let importance = Grid(rmin: -0.9, rdelta: 0.05, steps: 36)
    }

    /// Each lane's result: w = scale * q + offset = scale * q - min.
    struct Fits {
        /// The step between codes (0 for a constant sub-block).
        var scale: GGMLWide
        /// The fitted offset, <= 0 (the reference's `min` inside the search; q4_1 and q5_1 store
        /// it as their m, bit for bit, so a +0 offset stays +0).
        var offset: GGMLWide
        /// The value subtracted from scale * q, >= 0: 0 - offset (SIMD negation), the k-quants' min.
        var min: GGMLWide { -offset }
    }

    /// Scale, min and codes of each lane's `n` values (rows x[0..<n]) with per-value weights `w`.
    ///
    /// min starts at min(min x, 0), max at max x; the start rounds (x - min) * nmax / (max - min)
    /// and scores with scale (max - min) / nmax and the start's min. Each grid step rounds
    /// (x - min) * its inverse scale to 0...nmax, fits scale and offset by weighted least squares
    /// (skipped if the normal equations' determinant is not positive), and replaces the best on a
    /// strictly smaller error sum w |e| (`absoluteError`) or sum w e^2; later steps round with the
    /// min of the best fit so far, as the reference does.
    /// - Parameter stepCodes: n rows of working memory (a grid step's codes, kept for its error pass).
    /// - Returns: the fits; the codes of each lane's best candidate are stored to `codes` (rows,
    ///   all 0 for a constant sub-block, whose scale is 0 and min is -min(x, 0)).
    /// - Complexity: (steps + 2) passes over n rows.
    static func search(_ x: UnsafePointer<GGMLWide>, weights w: UnsafePointer<GGMLWide>, count n: Int,
                       nmax: Int, grid: Grid, absoluteError: Bool, codes: UnsafeMutablePointer<GGMLWideCodes>,
                       stepCodes: UnsafeMutablePointer<GGMLWide>) -> Fits {
        var lo = x[0], hi = x[0]
        var sumW = w[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            lo.replace(with: x[i], where: x[i] .< lo)
            hi.replace(with: x[i], where: x[i] .> hi)
            sumW += w[i]
            sumX += w[i] * x[i]
        }
        lo.replace(with: 0, where: lo .> 0)
        let constant = .!(hi .> lo)
        let top = SIMD8<Int32>(repeating: Int32(nmax))
        // The reference keeps one `min` per sub-block: the offset of the best fit so far, which later
        // steps round with. `start` is the rounding (inverse scale, offset) that gave the best codes.
        var startIscale = GGMLWide(repeating: Float(nmax)) / (hi - lo), startOffset = lo
        var scale = 1 / startIscale, offset = lo
        var bestError = GGMLWide()
        for i in 0..<n {
            let l = GGMLLanes.code(startIscale * (x[i] - lo), top: top)
            bestError += w[i] * error(scale * l + lo - x[i], absoluteError: absoluteError)
        }
        for step in 0...grid.steps {
            let numerator = grid.rmin + grid.rdelta * Float(step) + Float(nmax)
            let iscale = GGMLWide(repeating: numerator) / (hi - offset)
            let fit = fitStep(x, weights: w, count: n, top: top, iscale: iscale, offset: offset, sumW: sumW, sumX: sumX,
                              absoluteError: absoluteError, codes: stepCodes)
            let better = (fit.det .> 0) .& (fit.error .< bestError)
            bestError.replace(with: fit.error, where: better)
            startIscale.replace(with: iscale, where: better)
            startOffset.replace(with: offset, where: better)
            scale.replace(with: fit.scale, where: better)
            offset.replace(with: fit.offset, where: better)
        }
        for i in 0..<n {
            var l = GGMLLanes.intCode(startIscale * (x[i] - startOffset), top: top)
            l.replace(with: 0, where: constant)
            codes[i] = l
        }
        scale.replace(with: 0, where: constant)
        offset.replace(with: lo, where: constant)
        return Fits(scale: scale, offset: offset)
    }

    /// |e| or e^2.
    @inline(__always)
    private static func error(_ e: GGMLWide, absoluteError: Bool) -> GGMLWide {
        absoluteError ? GGMLLanes.magnitude(e) : e * e
    }

    /// One grid step's least-squares fit per lane and its weighted error.
    private struct StepFit {
        var scale: GGMLWide
        var offset: GGMLWide
        var det: GGMLWide
        var error: GGMLWide
    }

    @inline(__always)
    private static func fitStep(_ x: UnsafePointer<GGMLWide>, weights w: UnsafePointer<GGMLWide>, count n: Int,
                                top: SIMD8<Int32>, iscale: GGMLWide, offset: GGMLWide, sumW: GGMLWide,
                                sumX: GGMLWide, absoluteError: Bool, codes: UnsafeMutablePointer<GGMLWide>) -> StepFit {
        var sumL = GGMLWide(), sumL2 = sumL, sumXL = sumL
        for i in 0..<n {
            let l = GGMLLanes.code(iscale * (x[i] - offset), top: top)
            codes[i] = l
            let wl = w[i] * l
            sumL += wl
            sumL2 += wl * l
            sumXL += wl * x[i]
        }
        let det = sumW * sumL2 - sumL * sumL
        var scale = (sumW * sumXL - sumX * sumL) / det
        var fitted = (sumL2 * sumX - sumL * sumXL) / det
        let capped = fitted .> 0
        fitted.replace(with: 0, where: capped)
        scale.replace(with: sumXL / sumL2, where: capped)
        var error = GGMLWide()
        if absoluteError {
            for i in 0..<n { error += w[i] * GGMLLanes.magnitude(scale * codes[i] + fitted - x[i]) }
        } else {
            for i in 0..<n {
                let diff = scale * codes[i] + fitted - x[i]
                error += w[i] * (diff * diff)
            }
        }
        return StepFit(scale: scale, offset: fitted, det: det, error: error)
    }
}

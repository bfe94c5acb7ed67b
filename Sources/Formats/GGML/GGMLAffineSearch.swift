/// The scale-and-min search of ggml's affine sub-blocks (w = scale * q - min, q in 0...nmax):
/// `make_qkx2_quants` (reference path) and `make_qkx3_quants` (importance path), which differ
/// only in their grids and in where the per-value weights come from.
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

    /// A sub-block's result: w = scale * q - min.
    struct Fit {
        /// The step between codes (>= 0 in practice; 0 for a constant sub-block).
        var scale: Float
        /// The value subtracted from scale * q, >= 0 (the negated fitted offset).
        var min: Float
    }

    /// Scale, min and codes of the `n` values at `x` with per-value weights `weights`.
    ///
    /// min starts at min(min x, 0), max at max x; the start rounds (x - min) * nmax / (max - min)
    /// and scores with scale (max - min) / nmax and the start's min. Each grid step rounds
    /// (x - min) * its inverse scale to 0...nmax, fits scale and offset by weighted least squares
    /// (skipped if the normal equations' determinant is not positive), and replaces the best on a
    /// strictly smaller error sum w |e| (`absoluteError`) or sum w e^2; later steps round with the
    /// min of the best fit so far, as the reference does. Steps are evaluated 8 at a time in SIMD
    /// lanes; after a replacement the steps that follow it are re-evaluated with the new min.
    /// - Returns: the fit; codes of the best candidate are stored to `codes` (all 0 for a constant
    ///   sub-block, whose scale is 0 and min is -min(x, 0)).
    static func search(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, weights w: UnsafePointer<Float>,
                       grid: Grid, absoluteError: Bool, codes: UnsafeMutablePointer<UInt8>) -> Fit {
        var lo = x[0], hi = x[0]
        var sumW = w[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < lo { lo = x[i] }
            if x[i] > hi { hi = x[i] }
            sumW += w[i]
            sumX += w[i] * x[i]
        }
        if lo > 0 { lo = 0 }
        guard hi > lo else {
            codes.update(repeating: 0, count: n)
            return Fit(scale: 0, min: -lo)
        }
        // The reference keeps one `min`: the offset of the best fit so far, which later steps round with.
        var start = Start(iscale: Float(nmax) / (hi - lo), offset: lo)
        var scale = 1 / start.iscale, offset = lo
        var bestError = startError(x, count: n, nmax: nmax, weights: w, start: start, absoluteError: absoluteError)
        var step = 0
        while step <= grid.steps {
            let group = StepGroup(first: step, grid: grid, nmax: nmax, range: hi - offset)
            let fits = fitGroup(x, count: n, nmax: nmax, weights: w, group: group, offset: offset,
                                sumW: sumW, sumX: sumX, absoluteError: absoluteError)
            let lanes = min(8, grid.steps + 1 - step)
            guard let lane = (0..<lanes).first(where: { fits.det[$0] > 0 && fits.error[$0] < bestError }) else {
                step += 8
                continue
            }
            bestError = fits.error[lane]
            start = Start(iscale: group.iscales[lane], offset: offset)
            (scale, offset) = (fits.scale[lane], fits.offset[lane])
            step += lane + 1
        }
        for i in 0..<n {
            let l = GGMLArithmetic.nearestInt(start.iscale * (x[i] - start.offset))
            codes[i] = UInt8(truncatingIfNeeded: min(max(l, 0), nmax))
        }
        return Fit(scale: scale, min: -offset)
    }

    /// The rounding that produced the best codes: q = nearestInt(iscale * (x - offset)).
    private struct Start {
        var iscale: Float
        var offset: Float
    }

    /// The weighted error of the starting codes with scale 1 / iscale and offset `start.offset`.
    private static func startError(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, weights w: UnsafePointer<Float>,
                                   start: Start, absoluteError: Bool) -> Float {
        let scale = 1 / start.iscale
        var error: Float = 0
        for i in 0..<n {
            let l = Float(min(max(GGMLArithmetic.nearestInt(start.iscale * (x[i] - start.offset)), 0), nmax))
            let diff = scale * l + start.offset - x[i]
            error += w[i] * (absoluteError ? diff.magnitude : diff * diff)
        }
        return error
    }

    /// Eight consecutive grid steps' inverse scales (steps past the grid's end are computed but unused).
    private struct StepGroup {
        var iscales: SIMD8<Float>

        init(first: Int, grid: Grid, nmax: Int, range: Float) {
            let steps = SIMD8<Float>(0, 1, 2, 3, 4, 5, 6, 7) + SIMD8(repeating: Float(first))
            iscales = (SIMD8(repeating: grid.rmin) + SIMD8(repeating: grid.rdelta) * steps + SIMD8(repeating: Float(nmax)))
                / SIMD8(repeating: range)
        }
    }

    /// Each lane's least-squares fit (scale, offset, determinant of the normal equations) and its
    /// weighted error.
    private struct GroupFits {
        var scale: SIMD8<Float>
        var offset: SIMD8<Float>
        var det: SIMD8<Float>
        var error: SIMD8<Float>
    }

    @inline(__always)
    private static func fitGroup(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, weights w: UnsafePointer<Float>,
                                 group: StepGroup, offset: Float, sumW: Float, sumX: Float,
                                 absoluteError: Bool) -> GroupFits {
        let top = SIMD8<Int32>(repeating: Int32(nmax)), off = SIMD8<Float>(repeating: offset)
        var sumL = SIMD8<Float>(), sumL2 = sumL, sumXL = sumL
        for i in 0..<n {
            let xv = SIMD8(repeating: x[i]), wv = SIMD8(repeating: w[i])
            let l = SIMD8<Float>(GGMLArithmetic.nearestInt(group.iscales * (xv - off)).clamped(lowerBound: .zero, upperBound: top))
            let wl = wv * l
            sumL += wl
            sumL2 += wl * l
            sumXL += wl * xv
        }
        let sw = SIMD8(repeating: sumW), sx = SIMD8(repeating: sumX)
        let det = sw * sumL2 - sumL * sumL
        var scale = (sw * sumXL - sx * sumL) / det
        var fitted = (sumL2 * sx - sumL * sumXL) / det
        let capped = fitted .> 0
        fitted.replace(with: 0, where: capped)
        scale.replace(with: sumXL / sumL2, where: capped)
        var error = SIMD8<Float>()
        for i in 0..<n {
            let xv = SIMD8(repeating: x[i]), wv = SIMD8(repeating: w[i])
            let l = SIMD8<Float>(GGMLArithmetic.nearestInt(group.iscales * (xv - off)).clamped(lowerBound: .zero, upperBound: top))
            let diff = scale * l + fitted - xv
            error += wv * (absoluteError ? magnitude(diff) : diff * diff)
        }
        return GroupFits(scale: scale, offset: fitted, det: det, error: error)
    }

    /// |v| lane by lane (the sign bit cleared, as `fabsf` does).
    @inline(__always)
    private static func magnitude(_ v: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    }
}

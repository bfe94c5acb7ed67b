/// The scale searches of ggml's symmetric codes (w = scale * (q - nmax), q in 0..<2 nmax):
/// `make_qx_quants` (weighted least squares over a grid of 19 scales) and `make_q3_quants`
/// (q3_K's coordinate descent on single codes). Both run on up to eight sub-blocks at once, one
/// per SIMD lane (`GGMLLanes`), each lane following the reference's steps in its order.
///
/// Both minimise sum_i w_i (x_i - scale * l_i)^2 over the codes l_i in [-nmax, nmax - 1], where for
/// a fixed set of codes the best scale is sum w x l / sum w l^2 and the error falls as
/// (sum w x l)^2 / sum w l^2 rises, so candidates are compared by that ratio. Every float
/// operation is the reference's, in its order, so scales and codes are bit for bit llama.cpp's.
enum GGMLSymmetricSearch {
    /// Each lane's value of largest magnitude (the first on ties) and that magnitude.
    @inline(__always)
    private static func signedMax(_ x: UnsafePointer<SIMD8<Float>>, count n: Int) -> (max: SIMD8<Float>, amax: SIMD8<Float>) {
        var amax = SIMD8<Float>(), largest = SIMD8<Float>()
        for i in 0..<n {
            let a = GGMLLanes.magnitude(x[i])
            let larger = a .> amax
            amax.replace(with: a, where: larger)
            largest.replace(with: x[i], where: larger)
        }
        return (largest, amax)
    }

    /// The grid's order: is = 0 (the starting scale -nmax / max), then -9...-1, 1...9.
    private static let gridOrder = [0] + Array(-9...(-1)) + Array(1...9)

    /// `make_qx_quants` with `rmse_type` 1: each lane's scale, and its codes q = l + nmax in
    /// 0..<2 nmax stored to `codes` (rows).
    ///
    /// Starting from the scale that maps the value of largest magnitude m to -nmax (inverse scale
    /// -nmax / m), it tries the inverse scales -(nmax + is / 10) / m for is = -9...9, rounding each
    /// value with `nearestInt` and clamping to [-nmax, nmax - 1]; each candidate's scale is the
    /// weighted least-squares fit sum w x l / sum w l^2. The first candidate with the largest
    /// (sum w x l)^2 / sum w l^2 wins, ties keeping the earlier.
    /// - Parameters:
    ///   - weights: per-value weights w (rows; the imatrix-derived ones), or nil for w = x^2.
    /// - Returns: the scales (0, with all codes 0, for a lane whose |x| are all below 1e-15, ggml's
    ///   `GROUP_MAX_EPS`).
    /// - Complexity: 20 passes over n rows.
    static func search(_ x: UnsafePointer<SIMD8<Float>>, count n: Int, nmax: Int, weights: UnsafePointer<SIMD8<Float>>?,
                       codes: UnsafeMutablePointer<SIMD8<Int32>>) -> SIMD8<Float> {
        let (largest, amax) = signedMax(x, count: n)
        let lo = SIMD8<Int32>(repeating: Int32(-nmax)), hi = SIMD8<Int32>(repeating: Int32(nmax - 1))
        var scale = SIMD8<Float>(), best = scale, chosen = scale
        for offset in gridOrder {
            let iscale = -(SIMD8(repeating: Float(nmax) + 0.1 * Float(offset))) / largest
            var sumlx = SIMD8<Float>(), suml2 = sumlx
            for i in 0..<n {
                let w = weights?[i] ?? x[i] * x[i]
                let l = GGMLLanes.code(iscale * x[i], lo, hi)
                sumlx += w * x[i] * l
                suml2 += w * l * l
            }
            if offset == 0 {
                scale = sumlx / suml2
                scale.replace(with: 0, where: suml2 .== 0)
                best = scale * sumlx
                chosen = iscale
            } else {
                let better = (suml2 .> 0) .& (sumlx * sumlx .> best * suml2)
                let fitted = sumlx / suml2
                scale.replace(with: fitted, where: better)
                best.replace(with: fitted * sumlx, where: better)
                chosen.replace(with: iscale, where: better)
            }
        }
        let zero = amax .< 1e-15, nmaxLanes = SIMD8<Int32>(repeating: Int32(nmax))
        for i in 0..<n {
            var q = GGMLLanes.intCode(chosen * x[i], lo, hi) &+ nmaxLanes
            q.replace(with: 0, where: zero)
            codes[i] = q
        }
        scale.replace(with: 0, where: zero)
        return scale
    }

    /// `make_q3_quants` with `do_rmse`: each lane's scale (q3_K's reference sub-blocks), and its
    /// codes q = l + nmax stored to `codes` (rows).
    ///
    /// Starts from the codes of the scale mapping the value of largest magnitude m to -nmax, with
    /// weights w = x^2, then up to 5 sweeps of coordinate descent: each code in turn moves to the
    /// value nearest the best fit of the others if that strictly raises (sum w x l)^2 / sum w l^2.
    /// A lane whose sweep changes nothing is done (a further sweep would change nothing either).
    /// - Returns: the least-squares scales sum w x l / sum w l^2 of the final codes (0, with all
    ///   codes 0, for a lane whose |x| are all below 1e-15).
    static func coordinateDescent(_ x: UnsafePointer<SIMD8<Float>>, count n: Int, nmax: Int,
                                  codes: UnsafeMutablePointer<SIMD8<Int32>>) -> SIMD8<Float> {
        let (largest, amax) = signedMax(x, count: n)
        let lo = SIMD8<Int32>(repeating: Int32(-nmax)), hi = SIMD8<Int32>(repeating: Int32(nmax - 1))
        let iscale = SIMD8(repeating: Float(-nmax)) / largest
        var sumlx = SIMD8<Float>(), suml2 = sumlx
        for i in 0..<n {
            let l = GGMLLanes.intCode(iscale * x[i], lo, hi)
            codes[i] = l
            let w = x[i] * x[i], fl = GGMLLanes.float(small: l)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        for _ in 0..<5 {
            var changed = SIMDMask<SIMD8<Int32>>()
            for i in 0..<n {
                let w = x[i] * x[i], old = GGMLLanes.float(small: codes[i])
                let slx = sumlx - w * x[i] * old
                let sl2 = suml2 - w * old * old
                let new = GGMLLanes.intCode(x[i] * sl2 / slx, lo, hi)
                let fn = GGMLLanes.float(small: new)
                let slxNew = slx + w * x[i] * fn
                let sl2New = sl2 + w * fn * fn
                let better = (slx .> 0) .& (new .!= codes[i]) .& (sl2New .> 0)
                    .& (slxNew * slxNew * suml2 .> sumlx * sumlx * sl2New)
                codes[i].replace(with: new, where: better)
                sumlx.replace(with: slxNew, where: better)
                suml2.replace(with: sl2New, where: better)
                changed = changed .| better
            }
            if !any(changed) { break }
        }
        let zero = amax .< 1e-15, nmaxLanes = SIMD8<Int32>(repeating: Int32(nmax))
        for i in 0..<n {
            codes[i] = codes[i] &+ nmaxLanes
            codes[i].replace(with: 0, where: zero)
        }
        var scale = sumlx / suml2
        scale.replace(with: 0, where: .!(suml2 .> 0) .| zero)
        return scale
    }
}

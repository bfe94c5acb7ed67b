/// The scale searches of ggml's symmetric codes (w = scale * (q - nmax), q in 0..<2 nmax):
/// `make_qx_quants` (weighted least squares over a grid of 19 scales) and `make_q3_quants`
/// (q3_K's coordinate descent on single codes).
///
/// Both minimise sum_i w_i (x_i - scale * l_i)^2 over the codes l_i in [-nmax, nmax - 1], where for
/// a fixed set of codes the best scale is sum w x l / sum w l^2 and the error falls as
/// (sum w x l)^2 / sum w l^2 rises, so candidates are compared by that ratio. Every float
/// operation is the reference's, in its order, so the scale and codes are bit for bit llama.cpp's.
enum GGMLSymmetricSearch {
    /// The grid's 19 inverse-scale offsets is / 10 for is = -9...9 (is = 0 is the starting scale),
    /// as lane k = is + 9 of three groups of 8; lanes 19...23 repeat is = 0 and are never chosen.
    static let gridOffsets = Lanes24(SIMD8(-9, -8, -7, -6, -5, -4, -3, -2), SIMD8(-1, 0, 1, 2, 3, 4, 5, 6),
                                     SIMD8(7, 8, 9, 0, 0, 0, 0, 0))

    /// `make_qx_quants` with `rmse_type` 1: the scale of the `n` values at `x` and their codes
    /// q = l + nmax in 0..<2 nmax, stored to `codes`.
    ///
    /// Starting from the scale that maps the value of largest magnitude m to -nmax (inverse scale
    /// -nmax / m), it tries the inverse scales -(nmax + is / 10) / m for is = -9...9, rounding each
    /// value with `nearestInt` and clamping to [-nmax, nmax - 1]; each candidate's scale is the
    /// weighted least-squares fit sum w x l / sum w l^2. The first candidate (in order is = 0, then
    /// -9...-1, 1...9) with the largest (sum w x l)^2 / sum w l^2 wins, ties keeping the earlier.
    /// The candidates do not depend on each other, so all 19 are summed at once in SIMD lanes, each
    /// lane adding in index order as the reference does.
    /// - Parameters:
    ///   - weights: per-value weights w (the imatrix-derived ones), or nil for w = x^2.
    /// - Returns: the scale (0 and all codes 0 when every |x| < 1e-15, ggml's `GROUP_MAX_EPS`).
    /// - Complexity: one pass of 24 lanes over `n` values, plus one pass for the codes.
    static func search(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, weights: UnsafePointer<Float>?,
                       codes: UnsafeMutablePointer<UInt8>) -> Float {
        var amax: Float = 0, largest: Float = 0
        for i in 0..<n where x[i].magnitude > amax {
            amax = x[i].magnitude
            largest = x[i]
        }
        guard amax >= 1e-15 else {
            codes.update(repeating: 0, count: n)
            return 0
        }
        let fmax = SIMD8<Float>(repeating: Float(nmax)), m = SIMD8<Float>(repeating: largest)
        let o = gridOffsets
        let iscales = Lanes24(-(fmax + 0.1 * o.a) / m, -(fmax + 0.1 * o.b) / m, -(fmax + 0.1 * o.c) / m)
        let (sumlx, suml2) = laneSums(x, count: n, nmax: nmax, weights: weights, iscales: iscales)
        // Lane 9 (is = 0) is the start; the others are tried in the reference's order.
        var scale: Float = suml2[9] != 0 ? sumlx[9] / suml2[9] : 0
        var best = scale * sumlx[9]
        var chosen = 9
        for lane in 0..<19 where lane != 9 {
            let (slx, sl2) = (sumlx[lane], suml2[lane])
            if sl2 > 0 && slx * slx > best * sl2 {
                scale = slx / sl2
                best = scale * slx
                chosen = lane
            }
        }
        let iscale = iscales[chosen]
        for i in 0..<n {
            let l = min(max(GGMLArithmetic.nearestInt(iscale * x[i]), -nmax), nmax - 1)
            codes[i] = UInt8(truncatingIfNeeded: l + nmax)
        }
        return scale
    }

    /// sum w x l and sum w l^2 for each lane's inverse scale, each lane summed in index order.
    @inline(__always)
    private static func laneSums(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, weights: UnsafePointer<Float>?,
                                 iscales s: Lanes24) -> (sumlx: Lanes24, suml2: Lanes24) {
        let lo = SIMD8<Int32>(repeating: Int32(-nmax)), hi = SIMD8<Int32>(repeating: Int32(nmax - 1))
        var lx = Lanes24(), l2 = Lanes24()
        for i in 0..<n {
            let xi = x[i]
            let w = weights.map { $0[i] } ?? xi * xi
            let wx = SIMD8(repeating: w * xi), wv = SIMD8(repeating: w), xv = SIMD8(repeating: xi)
            let la = SIMD8<Float>(GGMLArithmetic.nearestInt(s.a * xv).clamped(lowerBound: lo, upperBound: hi))
            let lb = SIMD8<Float>(GGMLArithmetic.nearestInt(s.b * xv).clamped(lowerBound: lo, upperBound: hi))
            let lc = SIMD8<Float>(GGMLArithmetic.nearestInt(s.c * xv).clamped(lowerBound: lo, upperBound: hi))
            lx.a += wx * la
            lx.b += wx * lb
            lx.c += wx * lc
            l2.a += wv * la * la
            l2.b += wv * lb * lb
            l2.c += wv * lc * lc
        }
        return (lx, l2)
    }

    /// `make_q3_quants` with `do_rmse`: q3_K's sub-block scale and codes q = l + nmax, stored to `codes`.
    ///
    /// Starts from the codes of the scale mapping the value of largest magnitude m to -nmax, with
    /// weights w = x^2, then up to 5 sweeps of coordinate descent: each code in turn moves to the
    /// value nearest the best fit of the others if that strictly raises (sum w x l)^2 / sum w l^2.
    /// - Returns: the least-squares scale sum w x l / sum w l^2 of the final codes (0 with all codes
    ///   0 when every |x| < 1e-15).
    static func coordinateDescent(_ x: UnsafePointer<Float>, count n: Int, nmax: Int,
                                  codes: UnsafeMutablePointer<UInt8>) -> Float {
        var amax: Float = 0, largest: Float = 0
        for i in 0..<n where x[i].magnitude > amax {
            amax = x[i].magnitude
            largest = x[i]
        }
        guard amax >= 1e-15 else {
            codes.update(repeating: 0, count: n)
            return 0
        }
        let iscale = Float(-nmax) / largest
        var l = SIMD16<Int8>()
        precondition(n <= 16, "make_q3_quants runs on sub-blocks of at most 16 values")
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let li = min(max(GGMLArithmetic.nearestInt(iscale * x[i]), -nmax), nmax - 1)
            l[i] = Int8(li)
            let w = x[i] * x[i], fl = Float(li)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = x[i] * x[i], old = Float(l[i])
                var slx = sumlx - w * x[i] * old
                guard slx > 0 else { continue }
                var sl2 = suml2 - w * old * old
                let new = min(max(GGMLArithmetic.nearestInt(x[i] * sl2 / slx), -nmax), nmax - 1)
                guard new != Int(l[i]) else { continue }
                let fn = Float(new)
                slx += w * x[i] * fn
                sl2 += w * fn * fn
                if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                    l[i] = Int8(new)
                    sumlx = slx
                    suml2 = sl2
                    changed += 1
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { codes[i] = UInt8(Int(l[i]) + nmax) }
        return suml2 > 0 ? sumlx / suml2 : 0
    }
}

/// 24 Float lanes as three SIMD8 groups: lane k is element k % 8 of group k / 8.
struct Lanes24 {
    var a = SIMD8<Float>(), b = SIMD8<Float>(), c = SIMD8<Float>()

    init() {}
    init(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) { (self.a, self.b, self.c) = (a, b, c) }

    subscript(k: Int) -> Float { k < 8 ? a[k] : k < 16 ? b[k - 8] : c[k - 16] }
}

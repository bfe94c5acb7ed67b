/// How k-quants store their sub-block scales: the search for the super-block's scale of the
/// sub-block scales (`make_qp_quants`, importance path) and the two 6-bit packings in 12 bytes.
enum GGMLScaleCodes {
    /// `make_qp_quants`: codes 0...nmax for the `n` non-negative values at `x` (sub-block scales or
    /// mins) and their common step, minimising sum w (x - step * q)^2 with weights `weights` (the
    /// sub-blocks' summed importance).
    ///
    /// Starts at step max / nmax, tries the inverse steps (is / 10 + nmax) / max for is = -4...4
    /// (the first strictly smaller error wins), then up to 5 sweeps of coordinate descent on single
    /// codes, each move kept if it strictly raises (sum w x q)^2 / sum w q^2. Codes are stored as
    /// bytes, as in the reference (a negative code, possible only for a negative value, wraps).
    /// - Returns: the step, the least-squares fit sum w x q / sum w q^2 of the final codes (0 with
    ///   all codes 0 when max x < 1e-15).
    static func search(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, weights w: UnsafePointer<Float>,
                       codes q: UnsafeMutablePointer<UInt8>) -> Float {
        var largest: Float = 0
        for i in 0..<n where x[i] > largest { largest = x[i] }
        guard largest >= 1e-15 else {
            q.update(repeating: 0, count: n)
            return 0
        }
        let iscale = bestInverseStep(x, count: n, nmax: nmax, largest: largest, weights: w, codes: q)
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = min(nmax, GGMLArithmetic.nearestInt(iscale * x[i]))
            q[i] = UInt8(truncatingIfNeeded: l)
            sumlx += w[i] * x[i] * Float(l)
            suml2 += w[i] * Float(l) * Float(l)
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let old = Float(q[i])
                var slx = sumlx - w[i] * x[i] * old
                var sl2 = suml2 - w[i] * old * old
                guard slx > 0 && sl2 > 0 else { continue }
                let new = min(nmax, GGMLArithmetic.nearestInt(x[i] * sl2 / slx))
                guard new != Int(q[i]) else { continue }
                slx += w[i] * x[i] * Float(new)
                sl2 += w[i] * Float(new) * Float(new)
                if slx * slx * suml2 > sumlx * sumlx * sl2 {
                    q[i] = UInt8(truncatingIfNeeded: new)
                    sumlx = slx
                    suml2 = sl2
                    changed += 1
                }
            }
            if changed == 0 { break }
        }
        return suml2 > 0 ? sumlx / suml2 : 0
    }

    /// The inverse step of least weighted error among nmax / max and (is / 10 + nmax) / max,
    /// is = -4...4. The starting codes (unclamped) are scored as bytes, as the reference stores them.
    private static func bestInverseStep(_ x: UnsafePointer<Float>, count n: Int, nmax: Int, largest: Float,
                                        weights w: UnsafePointer<Float>, codes q: UnsafeMutablePointer<UInt8>) -> Float {
        var iscale = Float(nmax) / largest
        for i in 0..<n { q[i] = UInt8(truncatingIfNeeded: GGMLArithmetic.nearestInt(iscale * x[i])) }
        let scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let diff = x[i] - scale * Float(q[i])
            bestError += w[i] * diff * diff
        }
        for step in -4...4 where step != 0 {
            let candidate = (0.1 * Float(step) + Float(nmax)) / largest
            let candidateScale = 1 / candidate
            var error: Float = 0
            for i in 0..<n {
                let l = min(nmax, GGMLArithmetic.nearestInt(candidate * x[i]))
                let diff = x[i] - candidateScale * Float(l)
                error += w[i] * diff * diff
            }
            if error < bestError {
                bestError = error
                iscale = candidate
            }
        }
        return iscale
    }

    // MARK: - q4_K / q5_K: 8 scales and 8 mins of 6 bits in 12 bytes

    /// Packs 6-bit scale and min codes of sub-blocks 0...7 (`scales[j]`, `mins[j]`) into 12 bytes:
    /// bytes 0-3 hold scales 0-3 in bits 0-5, bytes 4-7 mins 0-3; sub-blocks 4-7 keep their low
    /// 4 bits in bytes 8-11 (scale low nibble, min high nibble) and their top 2 bits in bits 6-7 of
    /// bytes 0-3 (scale) and 4-7 (min). Codes are bytes; bits above the sixth spill as the reference's do.
    static func packK4(scales: UnsafePointer<UInt8>, mins: UnsafePointer<UInt8>, into p: UnsafeMutablePointer<UInt8>) {
        for j in 0..<8 {
            let (ls, lm) = (scales[j], mins[j])
            if j < 4 {
                p[j] = ls
                p[j + 4] = lm
            } else {
                p[j + 4] = (ls & 0xF) | (lm & 0xF) << 4
                p[j - 4] |= (ls >> 4) << 6
                p[j] |= (lm >> 4) << 6
            }
        }
    }

    /// The scale and min codes (0...63) of sub-block `j` (0..<8) from `packK4`'s 12 bytes
    /// (ggml's `get_scale_min_k4`).
    @inline(__always)
    static func unpackK4(_ j: Int, _ p: UnsafePointer<UInt8>) -> (scale: UInt8, min: UInt8) {
        if j < 4 { return (p[j] & 63, p[j + 4] & 63) }
        return ((p[j + 4] & 0xF) | (p[j - 4] >> 6) << 4, (p[j + 4] >> 4) | (p[j] >> 6) << 4)
    }

    // MARK: - q3_K: 16 scales of 6 bits in 12 bytes

    /// Packs 16 codes 0...63 (q3_K's sub-block scale + 32) into 12 bytes: the low nibbles of codes
    /// 0-7 in bits 0-3 of bytes 0-7 and of codes 8-15 in bits 4-7; the top 2 bits of code j in
    /// byte 8 + j % 4 at bit 2 (j / 4).
    static func packQ3(_ codes: UnsafePointer<UInt8>, into p: UnsafeMutablePointer<UInt8>) {
        p.update(repeating: 0, count: 12)
        for j in 0..<16 {
            let l = codes[j]
            if j < 8 {
                p[j] = l & 0xF
            } else {
                p[j - 8] |= (l & 0xF) << 4
            }
            p[8 + j % 4] |= (l >> 4) << (2 * (j / 4))
        }
    }

    /// Sub-block `j`'s scale (-32...31) from `packQ3`'s 12 bytes.
    @inline(__always)
    static func unpackQ3(_ j: Int, _ p: UnsafePointer<UInt8>) -> Int {
        let low = j < 8 ? p[j] & 0xF : p[j - 8] >> 4
        let high = (p[8 + j % 4] >> (2 * (j / 4))) & 3
        return Int(low | high << 4) - 32
    }
}

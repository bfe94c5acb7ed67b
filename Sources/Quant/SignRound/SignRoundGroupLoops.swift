import Formats
import TensorCore

/// The elementwise loops of one group of SignRound's passes, shared by the per-pass kernel
/// (`SignRoundKernel`) and the fused step of the group partial products.
///
/// Int groups run 8 lanes at a time (`SIMD8<Float>`) with a scalar tail; every lane computes exactly
/// the scalar expression (IEEE division w / s, round half to even, the same clamps), so codes and Q
/// are bit-identical to the quantizers'. Gradient sums are kept in 8 lane accumulators and added at
/// the end: a different summation order from a sequential loop, in the last bits only. FP4 groups run
/// scalar (E2M1 rounding is per element).
enum SignRoundGroupLoops<R: SignRoundRounding> {
    /// The gradient sums of one group: dL/ds and dL/dz summed over its weights.
    struct ScaleGradient {
        var scale: Float = 0
        var zero: Float = 0
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: x, as: SIMD8<Float>.self)
    }

    /// Int codes c = clamp(round(w / s + V) + z, 0, maxCode) - z for `n` weights.
    @inline(__always)
    static func intCodes(w: UnsafePointer<Float>, v: UnsafePointer<Float>, codes c: UnsafeMutablePointer<Float>,
                         count n: Int, scale s: Float, zero z: Float, maxCode: Float) {
        assert(n >= 0, "SignRound group of \(n) weights")
        let sv = SIMD8<Float>(repeating: s), zv = SIMD8<Float>(repeating: z)
        let lo = SIMD8<Float>(repeating: 0), hi = SIMD8<Float>(repeating: maxCode)
        var i = 0
        while i + 8 <= n {
            let pre = R.integer(load(w, i) / sv + load(v, i)) + zv
            store(pre.clamped(lo, hi) - zv, c, i)
            i += 8
        }
        while i < n {
            c[i] = min(max(R.integer(w[i] / s + v[i]) + z, 0), maxCode) - z
            i += 1
        }
    }

    /// FP4 codes e = E2M1(w / s + V) for `n` weights (0 where the block scale is 0).
    @inline(__always)
    static func fp4Codes(w: UnsafePointer<Float>, v: UnsafePointer<Float>, codes c: UnsafeMutablePointer<Float>,
                         count n: Int, scale s: Float) {
        assert(n >= 0, "SignRound group of \(n) weights")
        if s == 0 {
            c.update(repeating: 0, count: n)
        } else {
            for i in 0..<n { c[i] = R.e2m1(w[i] / s + v[i]) }
        }
    }

    /// Straight-through gradients of an int group from G (dL/dQ = `gradScale` x G): writes dL/dV to
    /// `gradV` when given, V stepped by `update` (`SignRoundUpdate.offset`) to `vNext` (may be `v`),
    /// and returns dL/ds and dL/dz summed over the group.
    @inline(__always)
    static func intBackward(w: UnsafePointer<Float>, g: UnsafePointer<Float>, gradScale: Float,
                            v: UnsafePointer<Float>, vNext: UnsafeMutablePointer<Float>, gradV: UnsafeMutablePointer<Float>?,
                            count n: Int, scale s: Float, zero z: Float, maxCode: Float, update: SignRoundUpdate) -> ScaleGradient {
        assert(n >= 0, "SignRound group of \(n) weights")
        let sv = SIMD8<Float>(repeating: s), zv = SIMD8<Float>(repeating: z), kv = SIMD8<Float>(repeating: gradScale)
        let zeros = SIMD8<Float>(repeating: 0), hi = SIMD8<Float>(repeating: maxCode)
        var accScale = zeros, accZero = zeros
        var i = 0
        while i + 8 <= n {
            let gamma = kv * load(g, i)
            let scaled = load(w, i) / sv
            let vi = load(v, i)
            let pre = R.integer(scaled + vi) + zv
            let inside = (pre .>= zeros) .& (pre .<= hi)
            let u = pre.clamped(zeros, hi)
            let gv = zeros.replacing(with: gamma * sv, where: inside)
            accScale += gamma * ((u - zv) - zeros.replacing(with: scaled, where: inside))
            accZero -= (gamma * sv).replacing(with: 0, where: inside)
            if let gradV { store(gv, gradV, i) }
            store(update.offset(vi, gradient: gv), vNext, i)
            i += 8
        }
        var result = ScaleGradient(scale: accScale.sum(), zero: accZero.sum())
        while i < n {
            let gamma = gradScale * g[i]
            let scaled = w[i] / s
            let pre = R.integer(scaled + v[i]) + z
            let inside = pre >= 0 && pre <= maxCode
            let u = min(max(pre, 0), maxCode)
            let gv = inside ? gamma * s : 0
            result.scale += gamma * ((u - z) - (inside ? scaled : 0))
            result.zero -= inside ? 0 : gamma * s
            gradV?[i] = gv
            vNext[i] = update.offset(v[i], gradient: gv)
            i += 1
        }
        return result
    }

    /// The FP4 counterpart of `intBackward` (no zero point; saturated elements pass no V gradient).
    @inline(__always)
    static func fp4Backward(w: UnsafePointer<Float>, g: UnsafePointer<Float>, gradScale: Float,
                            v: UnsafePointer<Float>, vNext: UnsafeMutablePointer<Float>, gradV: UnsafeMutablePointer<Float>?,
                            count n: Int, scale s: Float, update: SignRoundUpdate) -> ScaleGradient {
        assert(n >= 0, "SignRound group of \(n) weights")
        var result = ScaleGradient()
        guard s != 0 else {
            gradV?.update(repeating: 0, count: n)
            if vNext != UnsafeMutablePointer(mutating: v) { vNext.update(from: v, count: n) }
            return result
        }
        for i in 0..<n {
            let gamma = gradScale * g[i]
            let scaled = w[i] / s
            let x = scaled + v[i]
            let e = R.e2m1(x)
            let inside = x.magnitude <= E2M1.maxValue
            let gv = inside ? gamma * s : 0
            result.scale += gamma * (e - (inside ? scaled : 0))
            gradV?[i] = gv
            vNext[i] = update.offset(v[i], gradient: gv)
        }
        return result
    }

    /// sum over `n` weights of D .* (G + E) with D = s c - w (E omitted when nil), and D itself into
    /// `d` when given. Lane sums in Float, added at the end.
    @inline(__always)
    static func lossTerms(w: UnsafePointer<Float>, codes c: UnsafePointer<Float>, scale s: Float,
                          g: UnsafePointer<Float>, e: UnsafePointer<Float>?, d: UnsafeMutablePointer<Float>?,
                          count n: Int) -> Float {
        assert(n >= 0, "SignRound group of \(n) weights")
        let sv = SIMD8<Float>(repeating: s)
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let di = sv * load(c, i) - load(w, i)
            if let d { store(di, d, i) }
            let gi = e.map { load(g, i) + load($0, i) } ?? load(g, i)
            acc += di * gi
            i += 8
        }
        var total = acc.sum()
        while i < n {
            let di = s * c[i] - w[i]
            d?[i] = di
            total += di * (e.map { g[i] + $0[i] } ?? g[i])
            i += 1
        }
        return total
    }
}

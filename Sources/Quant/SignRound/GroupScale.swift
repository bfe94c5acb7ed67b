import Formats

/// One group's scale (and zero point) under the current alpha, beta, with the straight-through
/// derivatives of both. Derivatives are 0 where a clamp (minimum scale, zero-point range) binds.
struct GroupScale {
    var scale: Float = 0
    var zero: Float = 0
    var dScaleDAlpha: Float = 0
    var dScaleDBeta: Float = 0
    var dZeroDAlpha: Float = 0
    var dZeroDBeta: Float = 0

    /// Int groups, mirroring `IntGroupQuantizer.scaleAndZero` step for step.
    @inline(__always)
    static func int<R: SignRoundRounding>(_: R.Type, lo lo0: Float, hi hi0: Float, alpha: Float, beta: Float,
                                          bits: Int, symmetric: Bool) -> GroupScale {
        var g = GroupScale()
        let hi = hi0 * alpha, lo = lo0 * beta
        let minScale = IntGroupQuantizer.minScale
        if symmetric {
            let maxq = Float(1 << (bits - 1))
            let lowerDominates = hi < -lo
            let s = R.half((lowerDominates ? -lo : -hi) / maxq)
            g.scale = s < 0 ? min(s, -minScale) : max(s, minScale)
            g.zero = maxq
            if g.scale == s && s != 0 {
                if lowerDominates { g.dScaleDBeta = -lo0 / maxq } else { g.dScaleDAlpha = -hi0 / maxq }
            }
            return g
        }
        let maxCode = Float((1 << bits) - 1)
        let s = R.half((hi - lo) / maxCode)
        g.scale = max(s, minScale)
        if g.scale == s {
            g.dScaleDAlpha = hi0 / maxCode
            g.dScaleDBeta = -lo0 / maxCode
        }
        let zr = R.integer(-lo / g.scale)
        g.zero = min(max(zr, 0), maxCode)
        if zr >= 0 && zr <= maxCode {
            // z = -lo / s: dz/ds = lo / s^2, dz/dlo = -1 / s, dlo/dbeta = lo0.
            let dzds = lo / (g.scale * g.scale)
            g.dZeroDAlpha = dzds * g.dScaleDAlpha
            g.dZeroDBeta = dzds * g.dScaleDBeta - lo0 / g.scale
        }
        return g
    }

    /// FP4 blocks, mirroring `FP4Blocks.fakeQuantize` with MXFP4's or NVFP4's block scale.
    @inline(__always)
    static func fp4<R: SignRoundRounding>(_: R.Type, amax: Float, alpha: Float, nvGlobal: Float?) -> GroupScale {
        var g = GroupScale()
        let clipped = amax * alpha
        if let global = nvGlobal {
            g.scale = R.e4m3(global * (clipped / E2M1.maxValue)) / global
            if g.scale != 0 { g.dScaleDAlpha = amax / E2M1.maxValue }
        } else {
            g.scale = R.mxScale(clipped)
            if amax > 0 { g.dScaleDAlpha = g.scale / alpha }
        }
        return g
    }
}

import TensorCore

/// SignRound's elementwise passes over one layer: the forward pass (D = Q - W) and the backward
/// pass (straight-through gradients from dL/dQ, optionally followed by one signed step).
///
/// Straight-through rules, per weight with scaled value x = w / s + V:
/// - int: u = clamp(round(x) + z, 0, 2^b - 1), Q = s (u - z). Where round(x) + z lies in the code
///   range: dQ/dV = s, dQ/ds = (u - z) - w / s, dQ/dz = 0; where it is clamped: dQ/dV = 0,
///   dQ/ds = u - z, dQ/dz = -s.
/// - FP4: e = E2M1(x), Q = e s. Where |x| <= 6: dQ/dV = s, dQ/ds = e - w / s; saturated: dQ/dV = 0, dQ/ds = e.
/// Group derivatives chain through `GroupScale` (ds/dalpha, ds/dbeta, dz/dalpha, dz/dbeta).
/// Rows are processed in parallel chunks; each chunk writes only its own rows, so results do not
/// depend on scheduling. - Complexity: O(rows x cols) per pass, no allocation.
struct SignRoundKernel<R: SignRoundRounding> {
    let layout: SignRoundLayout

    /// Where the backward pass writes gradients (each may be nil) and the signed step it takes.
    struct Backward {
        var gradV: UnsafeMutablePointer<Float>? = nil
        var gradAlpha: UnsafeMutablePointer<Float>? = nil
        var gradBeta: UnsafeMutablePointer<Float>? = nil
        /// Step size; 0 leaves the parameters unchanged.
        var learningRate: Float = 0
    }

    @inline(__always)
    private func scale(group gi: Int, alpha: Float, beta: Float) -> GroupScale {
        switch layout.scheme {
        case let .int(bits, symmetric):
            return GroupScale.int(R.self, lo: layout.lo[gi], hi: layout.hi[gi], alpha: alpha, beta: beta,
                                  bits: bits, symmetric: symmetric)
        case .mxfp4:
            return GroupScale.fp4(R.self, amax: max(-layout.lo[gi], layout.hi[gi]), alpha: alpha, nvGlobal: nil)
        case let .nvfp4(global):
            return GroupScale.fp4(R.self, amax: max(-layout.lo[gi], layout.hi[gi]), alpha: alpha, nvGlobal: global)
        }
    }

    private var maxCode: Float {
        if case let .int(bits, _) = layout.scheme { return Float((1 << bits) - 1) }
        return 0
    }

    private var isInt: Bool { if case .int = layout.scheme { return true } else { return false } }

    /// Runs `body(row range of the chunk)` on all cores.
    private func forEachRowChunk(_ body: (Range<Int>) -> Void) {
        let (chunks, size) = rowChunks(layout.rows)
        let rows = layout.rows
        parallelFor(chunks) { c in body((c * size)..<min(rows, (c + 1) * size)) }
    }

    /// Writes D = Q(W; V, alpha, beta) - W (and Q itself into `q` when given).
    func forward(w: UnsafePointer<Float>, v: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
                 beta: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>? = nil) {
        let cols = layout.cols, gs = layout.groupSize, gpr = layout.groupsPerRow
        let isInt = isInt, maxCode = maxCode
        forEachRowChunk { rows in
            for r in rows {
                for g in 0..<gpr {
                    let gi = r * gpr + g
                    let p = scale(group: gi, alpha: alpha[gi], beta: beta[gi])
                    let s = p.scale, z = p.zero
                    let start = r * cols + g * gs, end = r * cols + min(cols, (g + 1) * gs)
                    if let q {
                        // Test path: Q itself, computed exactly as the quantizers do.
                        for i in start..<end {
                            let value = isInt ? s * (min(max(R.integer(w[i] / s + v[i]) + z, 0), maxCode) - z)
                                : (s == 0 ? 0 : R.e2m1(w[i] / s + v[i]) * s)
                            q[i] = value
                            d[i] = value - w[i]
                        }
                    } else if isInt {
                        for i in start..<end {
                            d[i] = s * (min(max(R.integer(w[i] / s + v[i]) + z, 0), maxCode) - z) - w[i]
                        }
                    } else if s == 0 {
                        for i in start..<end { d[i] = -w[i] }
                    } else {
                        for i in start..<end { d[i] = R.e2m1(w[i] / s + v[i]) * s - w[i] }
                    }
                }
            }
        }
    }

    /// Writes every weight's code and every group's scale so that Q = scale x code, bit-identical to
    /// `forward`'s Q: int codes are u - z (integers in [-z, 2^b - 1 - z]), FP4 codes are E2M1 values
    /// (0 where the block scale is 0).
    func codes(w: UnsafePointer<Float>, v: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
               beta: UnsafePointer<Float>, codes c: UnsafeMutablePointer<Float>, scales: UnsafeMutablePointer<Float>) {
        let cols = layout.cols, gs = layout.groupSize, gpr = layout.groupsPerRow
        let isInt = isInt, maxCode = maxCode
        forEachRowChunk { rows in
            for r in rows {
                for g in 0..<gpr {
                    let gi = r * gpr + g
                    let p = scale(group: gi, alpha: alpha[gi], beta: beta[gi])
                    let s = p.scale, z = p.zero
                    scales[gi] = s
                    let start = r * cols + g * gs, end = r * cols + min(cols, (g + 1) * gs)
                    if isInt {
                        for i in start..<end { c[i] = min(max(R.integer(w[i] / s + v[i]) + z, 0), maxCode) - z }
                    } else if s == 0 {
                        for i in start..<end { c[i] = 0 }
                    } else {
                        for i in start..<end { c[i] = R.e2m1(w[i] / s + v[i]) }
                    }
                }
            }
        }
    }

    /// From dL/dQ = `gradScale` x `g` (g = D Hqq + E), the gradients of V, alpha and beta; writes
    /// them where `out` says and, with a learning rate, moves each parameter by -lr x sign(gradient)
    /// (sign(0) = 0), clamping V to [-0.5, 0.5] and alpha, beta to [0.5, 1].
    func backward(w: UnsafePointer<Float>, g: UnsafePointer<Float>, gradScale: Float,
                  v: UnsafeMutablePointer<Float>, alpha: UnsafeMutablePointer<Float>,
                  beta: UnsafeMutablePointer<Float>, out: Backward) {
        let cols = layout.cols, gs = layout.groupSize, gpr = layout.groupsPerRow
        let isInt = isInt, maxCode = maxCode, lr = out.learningRate, tuneBeta = layout.hasMinClip
        forEachRowChunk { rows in
            for r in rows {
                for grp in 0..<gpr {
                    let gi = r * gpr + grp
                    let p = scale(group: gi, alpha: alpha[gi], beta: beta[gi])
                    let s = p.scale, z = p.zero
                    let start = r * cols + grp * gs, end = r * cols + min(cols, (grp + 1) * gs)
                    var gScale: Float = 0, gZero: Float = 0
                    if isInt {
                        // Branch-free (selects) so the loop vectorises.
                        for i in start..<end {
                            let gamma = gradScale * g[i]
                            let scaled = w[i] / s
                            let pre = R.integer(scaled + v[i]) + z
                            let inside = pre >= 0 && pre <= maxCode
                            let u = min(max(pre, 0), maxCode)
                            let gv = inside ? gamma * s : 0
                            gScale += gamma * ((u - z) - (inside ? scaled : 0))
                            gZero -= inside ? 0 : gamma * s
                            out.gradV?[i] = gv
                            v[i] = min(max(v[i] - lr * Self.sign(gv), -0.5), 0.5)
                        }
                    } else if s != 0 {
                        for i in start..<end {
                            let gamma = gradScale * g[i]
                            let scaled = w[i] / s
                            let x = scaled + v[i]
                            let e = R.e2m1(x)
                            let inside = x.magnitude <= E2M1.maxValue
                            let gv = inside ? gamma * s : 0
                            gScale += gamma * (e - (inside ? scaled : 0))
                            out.gradV?[i] = gv
                            v[i] = min(max(v[i] - lr * Self.sign(gv), -0.5), 0.5)
                        }
                    } else if let gradV = out.gradV {
                        for i in start..<end { gradV[i] = 0 }
                    }
                    let ga = gScale * p.dScaleDAlpha + gZero * p.dZeroDAlpha
                    let gb = gScale * p.dScaleDBeta + gZero * p.dZeroDBeta
                    out.gradAlpha?[gi] = ga
                    out.gradBeta?[gi] = tuneBeta ? gb : 0
                    if lr != 0 {
                        alpha[gi] = min(max(alpha[gi] - lr * Self.sign(ga), 0.5), 1)
                        if tuneBeta { beta[gi] = min(max(beta[gi] - lr * Self.sign(gb), 0.5), 1) }
                    }
                }
            }
        }
    }

    /// -1, 0 or 1.
    @inline(__always) static func sign(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}

import Foundation
import TensorCore

/// Elementwise kernels of the reverse pass, over raw row-major Float32 buffers. Each is the exact
/// derivative of the matching forward kernel in `Kernels` (same Float arithmetic for recomputed terms).
enum BackwardKernels {
    /// Reverse of `Kernels.rmsNorm` (y = x r w with r = 1/sqrt(mean(x^2) + eps)) for `rows` rows of
    /// width `weight.count`, `stride` apart:
    /// dx = r (dy w) - x r^3 / n * sum_i(dy_i w_i x_i); dWeight_i += sum over rows of dy_i x_i r.
    ///
    /// With `accumulate`, dx is added to the existing contents of `dx` (a residual branch);
    /// otherwise it overwrites them. `dWeight` may be nil when the weight gradient is not wanted.
    /// - Complexity: 6 n width flops.
    static func rmsNormBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                _ dx: UnsafeMutablePointer<Float>, rows: Int, stride: Int,
                                weight: UnsafeBufferPointer<Float>, eps: Float,
                                dWeight: UnsafeMutablePointer<Float>?, accumulate: Bool) {
        let width = weight.count
        for row in 0..<rows {
            let xr = x + row * stride, gr = dy + row * stride, dxr = dx + row * stride
            var sumSquares: Float = 0
            var dot: Float = 0
            for i in 0..<width {
                sumSquares += xr[i] * xr[i]
                dot += gr[i] * weight[i] * xr[i]
            }
            let r = 1 / (sumSquares / Float(width) + eps).squareRoot()
            let c = dot * r * r * r / Float(width)
            for i in 0..<width {
                let v = r * gr[i] * weight[i] - c * xr[i]
                dxr[i] = accumulate ? dxr[i] + v : v
            }
            if let dWeight {
                for i in 0..<width { dWeight[i] += gr[i] * xr[i] * r }
            }
        }
    }

    /// Reverse of `Kernels.swiGLU` (a = silu(g) u, silu(g) = g s, s = 1/(1 + exp(-g))), elementwise:
    /// dGate = dA u s (1 + g (1 - s)), dUp = dA g s. `dGate`/`dUp` are overwritten.
    static func swiGLUBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dAct: UnsafePointer<Float>,
                               dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            let s = 1 / (1 + expf(-g))
            dGate[i] = dAct[i] * up[i] * s * (1 + g * (1 - s))
            dUp[i] = dAct[i] * g * s
        }
    }

    /// Reverse of a causal softmax of scaled scores (P = softmax(scale S) over keys 0...first+r), in
    /// place on `dp` (rows x keys, `stride` apart): dS_j = scale P_j (dP_j - sum_k P_k dP_k) for the
    /// visible keys, 0 beyond. The sum is accumulated in Float.
    static func causalSoftmaxBackward(_ p: UnsafePointer<Float>, _ dp: UnsafeMutablePointer<Float>, rows: Int,
                                      first: Int, keys: Int, stride: Int, scale: Float) {
        for r in 0..<rows {
            let pr = p + r * stride, gr = dp + r * stride
            let last = first + r
            var dot: Float = 0
            for j in 0...last { dot += pr[j] * gr[j] }
            for j in 0...last { gr[j] = scale * pr[j] * (gr[j] - dot) }
            for j in (last + 1)..<keys { gr[j] = 0 }
        }
    }

    /// Column sums of a rows x cols buffer (the gradient of a bias added to every row).
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: cols)
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<rows {
                let xr = x + r * cols
                for c in 0..<cols { o[c] += xr[c] }
            }
        }
        return out
    }
}

import Foundation
import TensorCore

/// Elementwise kernels of the forward pass, over raw row-major Float32 buffers.
enum Kernels {
    /// RMSNorm of each row: y = x / sqrt(mean(x^2) + eps) * weight, accumulated in Float.
    ///
    /// `x` and `y` may alias. Rows have width `weight.count` and are `stride` apart.
    /// - Complexity: 3 n width flops.
    static func rmsNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, stride: Int,
                        weight: UnsafeBufferPointer<Float>, eps: Float) {
        let width = weight.count
        assert(rows >= 0 && stride >= width, "rmsNorm: rows \(rows) of \(width), stride \(stride)")
        for r in 0..<rows {
            let xr = x + r * stride, yr = y + r * stride
            var sum: Float = 0
            for i in 0..<width { sum += xr[i] * xr[i] }
            let inv = 1 / (sum / Float(width) + eps).squareRoot()
            for i in 0..<width { yr[i] = xr[i] * inv * weight[i] }
        }
    }

    /// Adds `bias` to every row of a rows x bias.count buffer.
    static func addBias(_ y: UnsafeMutablePointer<Float>, rows: Int, bias: [Float]) {
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                let yr = y + r * b.count
                for i in 0..<b.count { yr[i] += b[i] }
            }
        }
    }

    /// gate <- silu(gate) * up = gate / (1 + exp(-gate)) * up, elementwise over `count` values.
    static func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        assert(count >= 0, "swiGLU count \(count)")
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// `swiGLU` split into contiguous ranges run on all cores (same values: elementwise).
    static func parallelSwiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        let piece = 1 << 16
        let (gate, up) = (SharedPointer(gate), SharedPointer(up))
        parallelFor((count + piece - 1) / piece) { i in
            let lo = i * piece
            swiGLU(gate + lo, up + lo, count: min(piece, count - lo))
        }
    }

    /// Causal softmax of a tile of query rows in place. Row r (query position first + r, stride
    /// `stride`) keeps key columns 0...first+r: scaled by `scale` (skipped for 1), max-subtracted,
    /// exponentiated and normalized in Float; columns first+r+1 ..< `keys` become 0.
    static func causalSoftmax(_ s: UnsafeMutablePointer<Float>, rows: Int, first: Int, keys: Int,
                              stride: Int, scale: Float) {
        assert(rows >= 0 && first >= 0 && first + rows <= keys && keys <= stride,
               "causalSoftmax: rows \(first)..<\(first + rows) of \(keys) keys, stride \(stride)")
        for r in 0..<rows {
            let row = s + r * stride
            let last = first + r
            var m = -Float.infinity
            if scale != 1 { for j in 0...last { row[j] *= scale } }
            for j in 0...last { m = max(m, row[j]) }
            var sum: Float = 0
            for j in 0...last { let e = expf(row[j] - m); row[j] = e; sum += e }
            let inv = 1 / sum
            for j in 0...last { row[j] *= inv }
            for j in (last + 1)..<keys { row[j] = 0 }
        }
    }
}

/// Rotary position embedding tables and their application to Q/K heads.
///
/// Pair i of a head of width d rotates by angle p * theta^(-2i/d) at position p (angles in Double,
/// then cos/sin rounded to Float). `.rotateHalf` pairs (x[i], x[i+d/2]); `.adjacentPairs` pairs
/// (x[2i], x[2i+1]). Both apply (a, b) -> (a cos - b sin, a sin + b cos).
struct RotaryEmbedding: Sendable {
    let headDim: Int
    let layout: RopeLayout
    private(set) var cos: [Float] = []
    private(set) var sin: [Float] = []
    private(set) var positions = 0
    let theta: Double

    init(headDim: Int, theta: Double, layout: RopeLayout) {
        self.headDim = headDim
        self.theta = theta
        self.layout = layout
    }

    /// Extends the tables to cover positions 0..<n.
    mutating func reserve(_ n: Int) {
        guard n > positions else { return }
        let half = headDim / 2
        cos = [Float](repeating: 0, count: n * half)
        sin = cos
        for p in 0..<n {
            for i in 0..<half {
                let angle = Double(p) * Foundation.pow(theta, -2 * Double(i) / Double(headDim))
                cos[p * half + i] = Float(Foundation.cos(angle))
                sin[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        positions = n
    }

    /// Rotates every head of `rows` rows (row r at position r % sequenceLength) in place:
    /// (a, b) -> (a cos - b sin, a sin + b cos) for each rotated pair. With `transposed`, rotates by
    /// the negative angle, (a, b) -> (a cos + b sin, -a sin + b cos): the transpose of the forward
    /// rotation, which carries gradients back to the un-rotated input.
    /// - Precondition: the tables cover `sequenceLength` positions.
    func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, sequenceLength: Int, transposed: Bool = false) {
        precondition(positions >= sequenceLength, "RoPE table too short")
        assert(rows >= 0 && heads > 0 && sequenceLength > 0 && rows % sequenceLength == 0,
               "RoPE: \(rows) rows in sequences of \(sequenceLength), \(heads) heads")
        for r in 0..<rows { rotate(x + r * heads * headDim, heads: heads, position: r % sequenceLength, transposed: transposed) }
    }

    /// Rotates every head of `rows` rows that all sit at `position` (one token of each of several
    /// sequences decoded together), as `apply` rotates a row at that position.
    /// - Precondition: the tables cover `position`.
    func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, position: Int) {
        precondition(position >= 0 && position < positions, "RoPE table too short")
        for r in 0..<rows { rotate(x + r * heads * headDim, heads: heads, position: position, transposed: false) }
    }

    private func rotate(_ row: UnsafeMutablePointer<Float>, heads: Int, position: Int, transposed: Bool) {
        let half = headDim / 2, t = position * half
        let sign: Float = transposed ? -1 : 1
        cos.withUnsafeBufferPointer { c in
            sin.withUnsafeBufferPointer { s in
                for h in 0..<heads {
                    let head = row + h * headDim
                    for i in 0..<half {
                        let (ia, ib) = layout == .rotateHalf ? (i, i + half) : (2 * i, 2 * i + 1)
                        let a = head[ia], b = head[ib], sn = sign * s[t + i]
                        head[ia] = a * c[t + i] - b * sn
                        head[ib] = a * sn + b * c[t + i]
                    }
                }
            }
        }
    }
}

import Formats
import TensorCore

/// The layer-wise reconstruction objective SignRound minimises, in Gram form.
///
/// With original inputs X (tokens x in), inputs Xq from the partly quantized model (equal to X when
/// quantized input is off), weight W (out x in) and candidate Q (same shape), D = Q - W:
///
///     L(Q) = ||Xq Q^T - X W^T||^2 / T
///          = [ sum(D .* (D Hqq)) + 2 sum(D .* E) + c0 ] / T
///     dL/dQ = 2 (D Hqq + E) / T
///
/// where Hqq = Xq^T Xq, Hxq = X^T Xq, E = W (Hqq - Hxq) (out x in), and
/// c0 = ||(Xq - X) W^T||^2 = sum(W .* (W (Hqq - Hxq - Hxq^T + Hxx))), the error the layer would have
/// even with its exact weight. Without quantized input E = 0 and c0 = 0. Every step needs one sgemm
/// (D times Hqq); the tokens themselves are never revisited. Loss units: squared output per token.
public struct LayerObjective: Sendable {
    /// Hqq (in x in), the Gram matrix of the inputs the quantized layer sees.
    public let gram: Matrix
    /// E = W (Hqq - Hxq) (out x in); nil when the inputs are the original ones.
    public let crossTerm: Matrix?
    /// c0 (see the type's description), squared output summed over tokens.
    public let constant: Double
    /// Number of tokens T the Gram matrices sum over.
    public let tokens: Int

    /// Objective on original inputs: L = ||X (Q - W)^T||^2 / T with H = X^T X.
    /// - Throws: `SignRoundError.gramShape` for a non-square Gram, `.noTokens` for T <= 0.
    public init(gram: Matrix, tokens: Int, layer: String = "layer") throws {
        guard gram.rows == gram.cols else {
            throw SignRoundError.gramShape(layer: layer, expected: "square", actual: "\(gram.rows) x \(gram.cols)")
        }
        guard tokens > 0 else { throw SignRoundError.noTokens(layer: layer) }
        self.gram = gram
        crossTerm = nil
        constant = 0
        self.tokens = tokens
    }

    /// Objective with quantized inputs (AutoRound's `enable_quanted_input`): the layer sees Xq from the
    /// model whose earlier blocks are quantized, the target stays the original output X W^T.
    /// - Parameters: `quantizedGram` Hqq = Xq^T Xq, `crossGram` Hxq = X^T Xq, `originalGram` Hxx = X^T X,
    ///   all in x in. - Complexity: two sgemms of out x in x in.
    public init(weights w: Matrix, quantizedGram hqq: Matrix, crossGram hxq: Matrix, originalGram hxx: Matrix,
                tokens: Int, layer: String = "layer") throws {
        let n = w.cols
        for (label, h) in [("Hqq", hqq), ("Hxq", hxq), ("Hxx", hxx)] where h.rows != n || h.cols != n {
            throw SignRoundError.gramShape(layer: layer, expected: "\(label) \(n) x \(n)", actual: "\(h.rows) x \(h.cols)")
        }
        guard tokens > 0 else { throw SignRoundError.noTokens(layer: layer) }
        var diff = hqq
        var drift = hqq
        diff.data.withUnsafeMutableBufferPointer { pd in drift.data.withUnsafeMutableBufferPointer { pm in
            hxq.data.withUnsafeBufferPointer { pxq in hxx.data.withUnsafeBufferPointer { pxx in
                for i in 0..<n {
                    for j in 0..<n {
                        let k = i * n + j
                        pd[k] -= pxq[k]
                        pm[k] += pxx[k] - pxq[k] - pxq[j * n + i]
                    }
                }
            } }
        } }
        let e = BLAS.matmul(w, diff)
        let wDrift = BLAS.matmul(w, drift)
        gram = hqq
        crossTerm = e
        constant = Self.dot(w.data, wDrift.data)
        self.tokens = tokens
    }

    /// Objective with quantized inputs from terms computed elsewhere: `quantizedGram` Hqq (in x in),
    /// `crossTerm` E = W (Hqq - Hxq) (out x in) and `constant` c0 (see the type's description). With
    /// the layer's outputs on both streams, Y = X W^T and Yq = Xq W^T, these are E = (Yq - Y)^T Xq and
    /// c0 = ||Yq - Y||^2, which for a layer narrower than its input cost less than Hxq and Hxx.
    /// - Throws: `SignRoundError.gramShape` for shapes that differ, `.noTokens` for T <= 0.
    public init(quantizedGram hqq: Matrix, crossTerm e: Matrix, constant c0: Double, tokens: Int,
                layer: String = "layer") throws {
        guard hqq.rows == hqq.cols, e.cols == hqq.rows else {
            throw SignRoundError.gramShape(layer: layer, expected: "Hqq n x n and E out x n",
                                           actual: "Hqq \(hqq.rows) x \(hqq.cols), E \(e.rows) x \(e.cols)")
        }
        guard tokens > 0 else { throw SignRoundError.noTokens(layer: layer) }
        gram = hqq
        crossTerm = e
        constant = c0
        self.tokens = tokens
    }

    /// L(Q) for a candidate Q, in squared output per token. - Complexity: one sgemm out x in x in.
    public func loss(candidate q: Matrix, weights w: Matrix) -> Double {
        precondition(q.rows == w.rows && q.cols == w.cols && w.cols == gram.rows, "loss: shapes differ")
        var d = q
        for i in d.data.indices { d.data[i] -= w.data[i] }
        var g = crossTerm.map { Matrix(rows: $0.rows, cols: $0.cols, data: $0.data.map { 2 * $0 }) }
            ?? Matrix(rows: w.rows, cols: w.cols)
        d.data.withUnsafeBufferPointer { pd in
            gram.data.withUnsafeBufferPointer { ph in
                g.data.withUnsafeMutableBufferPointer { pg in
                    BLAS.gemm(.none, .none, m: w.rows, n: w.cols, k: w.cols, a: pd.baseAddress!, lda: w.cols,
                              b: ph.baseAddress!, ldb: w.cols, beta: 1, c: pg.baseAddress!, ldc: w.cols)
                }
            }
        }
        return (Self.dot(d.data, g.data) + constant) / Double(tokens)
    }

    /// sum(a .* b) accumulated in Double.
    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for i in a.indices { s += Double(a[i]) * Double(b[i]) }
        return s
    }
}

import Foundation
import TensorCore
@testable import Model

/// A scalar Llama-family causal-LM loss in Double, written from the definitions (both RoPE layouts,
/// GQA, Qwen2 biases, Qwen3 head norms, tied or untied head), over parameters held as Double arrays
/// by Hugging Face name, so central differences of it are exact to ~1e-10.
enum ReferenceLoss {
    typealias Parameters = [String: [Double]]

    static func parameters(_ t: InMemoryTensors) throws -> Parameters {
        var p: Parameters = [:]
        for info in t.tensorInfos { p[info.name] = try t.floats(info.name).map(Double.init) }
        return p
    }

    /// Mean NLL (nats) of tokens 1..L-1 of every window.
    static func meanNLL(_ c: ModelConfig, _ p: Parameters, windows: [[Int]], layout: RopeLayout) -> Double {
        var total = 0.0, count = 0
        for w in windows {
            let logits = self.logits(c, p, tokens: w, layout: layout)
            for i in 0..<(w.count - 1) {
                let m = logits[i].max()!
                total += m + log(logits[i].reduce(0) { $0 + exp($1 - m) }) - logits[i][w[i + 1]]
                count += 1
            }
        }
        return total / Double(count)
    }

    static func linear(_ x: [Double], _ w: [Double], _ b: [Double]?) -> [Double] {
        let n = x.count
        return (0..<(w.count / n)).map { o in
            var s = b?[o] ?? 0
            for i in 0..<n { s += w[o * n + i] * x[i] }
            return s
        }
    }

    static func norm(_ x: [Double], _ w: [Double], _ eps: Double) -> [Double] {
        let r = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + eps).squareRoot()
        return zip(x, w).map { $0 * r * $1 }
    }

    static func rope(_ x: [Double], pos: Int, theta: Double, layout: RopeLayout) -> [Double] {
        let d = x.count, half = d / 2
        var y = x
        for i in 0..<half {
            let a = Double(pos) * pow(theta, -2 * Double(i) / Double(d))
            let (ia, ib) = layout == .rotateHalf ? (i, i + half) : (2 * i, 2 * i + 1)
            y[ia] = x[ia] * cos(a) - x[ib] * sin(a)
            y[ib] = x[ia] * sin(a) + x[ib] * cos(a)
        }
        return y
    }

    /// Logits of every position of `tokens` for the weights `t` (the reference the BLAS forward pass must match).
    static func logits(_ c: ModelConfig, _ t: InMemoryTensors, tokens: [Int],
                       layout: RopeLayout = .rotateHalf) throws -> [[Double]] {
        logits(c, try parameters(t), tokens: tokens, layout: layout)
    }

    static func logits(_ c: ModelConfig, _ p: Parameters, tokens: [Int], layout: RopeLayout) -> [[Double]] {
        let h = c.hiddenSize, eps = c.rmsNormEps
        let emb = p["model.embed_tokens.weight"]!
        var xs = tokens.map { Array(emb[($0 * h)..<(($0 + 1) * h)]) }
        for b in 0..<c.numHiddenLayers { xs = block(c, p, "model.layers.\(b).", xs, layout: layout) }
        let head = p[c.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"]!
        return xs.map { linear(norm($0, p["model.norm.weight"]!, eps), head, nil) }
    }

    static func block(_ c: ModelConfig, _ p: Parameters, _ pre: String, _ input: [[Double]],
                      layout: RopeLayout) -> [[Double]] {
        let d = c.headDim, eps = c.rmsNormEps, n = input.count
        let group = c.numAttentionHeads / c.numKeyValueHeads
        func heads(_ v: [Double], _ count: Int, _ w: [Double]?, pos: Int?) -> [[Double]] {
            (0..<count).map { hd in
                var x = Array(v[(hd * d)..<((hd + 1) * d)])
                if let w { x = norm(x, w, eps) }
                if let pos { x = rope(x, pos: pos, theta: c.ropeTheta, layout: layout) }
                return x
            }
        }
        let a = input.map { norm($0, p[pre + "input_layernorm.weight"]!, eps) }
        let attn = pre + "self_attn."
        let q = a.enumerated().map { heads(linear($1, p[attn + "q_proj.weight"]!, p[attn + "q_proj.bias"]),
                                           c.numAttentionHeads, p[attn + "q_norm.weight"], pos: $0) }
        let k = a.enumerated().map { heads(linear($1, p[attn + "k_proj.weight"]!, p[attn + "k_proj.bias"]),
                                           c.numKeyValueHeads, p[attn + "k_norm.weight"], pos: $0) }
        let v = a.map { heads(linear($0, p[attn + "v_proj.weight"]!, p[attn + "v_proj.bias"]),
                              c.numKeyValueHeads, nil, pos: nil) }
        var xs = input
        for i in 0..<n {
            var cat: [Double] = []
            for hd in 0..<c.numAttentionHeads {
                let s = (0...i).map { j in zip(q[i][hd], k[j][hd / group]).reduce(0) { $0 + $1.0 * $1.1 } / Double(d).squareRoot() }
                let m = s.max()!
                let e = s.map { exp($0 - m) }, z = e.reduce(0, +)
                cat += (0..<d).map { dd in (0...i).reduce(0) { $0 + e[$1] / z * v[$1][hd / group][dd] } }
            }
            xs[i] = zip(xs[i], linear(cat, p[attn + "o_proj.weight"]!, nil)).map(+)
        }
        return xs.map { x in
            let m = norm(x, p[pre + "post_attention_layernorm.weight"]!, eps)
            let g = linear(m, p[pre + "mlp.gate_proj.weight"]!, nil), u = linear(m, p[pre + "mlp.up_proj.weight"]!, nil)
            let act = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
            return zip(x, linear(act, p[pre + "mlp.down_proj.weight"]!, nil)).map(+)
        }
    }
}

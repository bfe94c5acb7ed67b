import Foundation
import TensorCore
@testable import Model

/// A plain scalar Llama forward pass in Double, written from the definitions (HF rotate-half RoPE),
/// used as the reference the BLAS implementation must match.
enum ReferenceLlama {
    static func logits(_ c: ModelConfig, _ t: InMemoryTensors, tokens: [Int]) throws -> [[Double]] {
        func vec(_ n: String) throws -> [Double] { try t.floats(n).map(Double.init) }
        func mat(_ n: String, _ cols: Int) throws -> [[Double]] {
            let f = try t.floats(n).map(Double.init)
            return stride(from: 0, to: f.count, by: cols).map { Array(f[$0..<($0 + cols)]) }
        }
        func linear(_ x: [Double], _ w: [[Double]], _ b: [Double]? = nil) -> [Double] {
            w.enumerated().map { i, row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } + (b?[i] ?? 0) }
        }
        func norm(_ x: [Double], _ w: [Double]) -> [Double] {
            let ms = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
            return zip(x, w).map { $0 / (ms + c.rmsNormEps).squareRoot() * $1 }
        }
        func rope(_ x: [Double], pos: Int) -> [Double] {
            let d = x.count, half = d / 2
            var y = x
            for i in 0..<half {
                let a = Double(pos) * pow(c.ropeTheta, -2 * Double(i) / Double(d))
                y[i] = x[i] * cos(a) - x[i + half] * sin(a)
                y[i + half] = x[i] * sin(a) + x[i + half] * cos(a)
            }
            return y
        }
        let h = c.hiddenSize, d = c.headDim, n = tokens.count
        let emb = try mat("model.embed_tokens.weight", h)
        var xs = tokens.map { emb[$0] }
        for b in 0..<c.numHiddenLayers {
            let p = "model.layers.\(b)."
            let bias = c.attentionBias
            let wq = try mat(p + "self_attn.q_proj.weight", h), wk = try mat(p + "self_attn.k_proj.weight", h)
            let wv = try mat(p + "self_attn.v_proj.weight", h), wo = try mat(p + "self_attn.o_proj.weight", c.queryWidth)
            let bq = bias ? try vec(p + "self_attn.q_proj.bias") : nil
            let bk = bias ? try vec(p + "self_attn.k_proj.bias") : nil
            let bv = bias ? try vec(p + "self_attn.v_proj.bias") : nil
            let qn = c.modelType == "qwen3" ? try vec(p + "self_attn.q_norm.weight") : nil
            let kn = c.modelType == "qwen3" ? try vec(p + "self_attn.k_norm.weight") : nil
            let n1 = try vec(p + "input_layernorm.weight"), n2 = try vec(p + "post_attention_layernorm.weight")
            func heads(_ v: [Double], _ count: Int, _ w: [Double]?, pos: Int?) -> [[Double]] {
                (0..<count).map { hd in
                    var x = Array(v[(hd * d)..<((hd + 1) * d)])
                    if let w { x = norm(x, w) }
                    if let pos { x = rope(x, pos: pos) }
                    return x
                }
            }
            let a = xs.map { norm($0, n1) }
            let q = a.enumerated().map { heads(linear($1, wq, bq), c.numAttentionHeads, qn, pos: $0) }
            let k = a.enumerated().map { heads(linear($1, wk, bk), c.numKeyValueHeads, kn, pos: $0) }
            let v = a.map { heads(linear($0, wv, bv), c.numKeyValueHeads, nil, pos: nil) }
            let group = c.numAttentionHeads / c.numKeyValueHeads
            for i in 0..<n {
                var cat: [Double] = []
                for hd in 0..<c.numAttentionHeads {
                    let s = (0...i).map { j in zip(q[i][hd], k[j][hd / group]).reduce(0) { $0 + $1.0 * $1.1 } / Double(d).squareRoot() }
                    let m = s.max()!
                    let e = s.map { exp($0 - m) }, z = e.reduce(0, +)
                    cat += (0..<d).map { dd in (0...i).reduce(0) { $0 + e[$1] / z * v[$1][hd / group][dd] } }
                }
                xs[i] = zip(xs[i], linear(cat, wo)).map { $0 + $1 }
            }
            let wg = try mat(p + "mlp.gate_proj.weight", h), wu = try mat(p + "mlp.up_proj.weight", h)
            let wd = try mat(p + "mlp.down_proj.weight", c.intermediateSize)
            xs = xs.map { x in
                let m = norm(x, n2)
                let g = linear(m, wg), u = linear(m, wu)
                let act = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                return zip(x, linear(act, wd)).map { $0 + $1 }
            }
        }
        let head = try mat(c.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight", h)
        let fn = try vec("model.norm.weight")
        return xs.map { linear(norm($0, fn), head) }
    }
}

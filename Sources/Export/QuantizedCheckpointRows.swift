import Foundation
import Model
import Formats

/// Reorders Q/K rows from GGUF's adjacent-pair RoPE layout to Hugging Face's rotate-half layout.
///
/// llama.cpp's converter permutes each head's `d` rows so that RoPE rotates (x[2i], x[2i+1]); Hugging
/// Face rotates (x[i], x[i + d/2]). The inverse used here: in head h, Hugging Face row
/// h*d + j*(d/2) + i is GGUF row h*d + 2i + j (i < d/2, j in {0, 1}). Q uses the query heads, K the
/// key/value heads; every other tensor keeps its rows.
enum QuantizedCheckpointRows {
    /// For each Hugging Face row, the source (GGUF) row it comes from; nil when `weightName` needs
    /// no reordering (not Q/K, or the model is already rotate-half).
    static func sourceRows(for weightName: String, model: ModelDescription) -> [Int]? {
        guard model.ropeLayout == .adjacentPairs else { return nil }
        let c = model.config
        let heads: Int
        if weightName.hasSuffix("self_attn.q_proj.weight") || weightName.hasSuffix("self_attn.q_proj.bias") {
            heads = c.numAttentionHeads
        } else if weightName.hasSuffix("self_attn.k_proj.weight") || weightName.hasSuffix("self_attn.k_proj.bias") {
            heads = c.numKeyValueHeads
        } else {
            return nil
        }
        return permutation(heads: heads, headDim: c.headDim)
    }

    /// `result[hfRow] = ggufRow` for `heads` heads of `headDim` rows.
    static func permutation(heads: Int, headDim d: Int) -> [Int] {
        let half = d / 2
        var rows = [Int](repeating: 0, count: heads * d)
        for h in 0..<heads {
            for j in 0..<2 {
                for i in 0..<half { rows[h * d + j * half + i] = h * d + 2 * i + j }
            }
        }
        return rows
    }

    /// Rows of a row-major `rows x cols` array taken in `order`.
    static func reorder<T>(_ values: [T], cols: Int, order: [Int]) -> [T] {
        var out = [T]()
        out.reserveCapacity(values.count)
        for r in order { out.append(contentsOf: values[(r * cols)..<((r + 1) * cols)]) }
        return out
    }

    /// The quantized tensor with rows in `order`: codes, and the per-row scales and zero points of
    /// group formats. FP8 block scales stay when every row stays inside its 128-row block.
    /// - Throws: `QuantizedCheckpointError.cannotReorderRows` when a row would leave its scale block
    ///   or the row count does not match.
    static func reorder(_ q: QuantizedTensor, order: [Int], layer: String) throws -> QuantizedTensor {
        guard order.count == q.rows else {
            throw QuantizedCheckpointError.cannotReorderRows(layer: layer, reason: "\(q.rows) rows, expected \(order.count) (heads x head dim)")
        }
        var out = q
        switch q.codes {
        case let .bytes(b): out.codes = .bytes(reorder(b, cols: q.cols, order: order))
        case let .halfWords(h): out.codes = .halfWords(reorder(h, cols: q.cols, order: order))
        case let .blocks(b): out.codes = .blocks(reorder(b, cols: b.count / max(q.rows, 1), order: order))
        }
        if q.scaleRows == q.rows && q.rows > 1 {
            out.scales = reorder(q.scales, cols: q.scaleCols, order: order)
            out.zeroPoints = q.zeroPoints.map { reorder($0, cols: q.scaleCols, order: order) }
        } else if case let .block(block, _) = q.format.granularity, q.scaleRows > 1 {
            if let bad = order.enumerated().first(where: { $0.offset / block != $0.element / block }) {
                throw QuantizedCheckpointError.cannotReorderRows(layer: layer, reason: "row \(bad.element) would move to row \(bad.offset), outside its \(block)-row scale block")
            }
        }
        return out
    }
}

import Formats
import TensorCore

/// Layers planned in a ggml block type (`QuantFormat.ggml`) are quantized as llama-quantize does
/// with an imatrix: llama.cpp's importance-weighted quantizers (`GGMLFormatQuantizer.quantize(weights:
/// name:importance:)`), the importance of input channel j being its activation energy
/// h_j = sum over the calibration tokens of x_j^2 (the diagonal of the layer's input Gram matrix;
/// llama.cpp's imatrix is the same sum divided by the token count, and the quantizers are invariant
/// to that scale up to float rounding of the weights they derive).
///
/// SignRound does not tune these types (`SignRound.tunes`), and the end-to-end pass leaves them: the
/// layer's evaluated weights are exactly the dequantized bytes that a GGUF file stores.
public enum GGMLImportanceRounding {
    /// The quantized tensor (ggml blocks, in the stored type after llama.cpp's fallback) and its
    /// dequantized weights, bit for bit what a reader of the blocks gets.
    public struct Result: Sendable {
        public var tensor: QuantizedTensor
        public var weights: Matrix
    }

    /// Quantizes `w` (out x in) in `format` with per-input `importance` (in values; negative values,
    /// which only float rounding of a Gram diagonal can give, count as 0).
    /// - Precondition: `format.family == .ggml`.
    /// - Throws: `QuantError` naming `name` (row length no type can store, non-finite weights or
    ///   importance, wrong importance length).
    public static func quantize(weights w: Matrix, format: QuantFormat, importance: [Float], name: String) throws -> Result {
        precondition(format.family == .ggml, "\(format.name) is not a ggml block type")
        let quantizer = GGMLFormatQuantizer(format: format)
        let h = importance.map { $0 < 0 ? 0 : $0 }
        let tensor = try quantizer.quantize(weights: w, name: name, importance: h)
        return Result(tensor: tensor, weights: try quantizer.dequantize(tensor))
    }

    /// The diagonal of a square Gram matrix (the importance of `quantize`).
    public static func diagonal(_ gram: Matrix) -> [Float] {
        precondition(gram.rows == gram.cols, "Gram matrix must be square, got \(gram.rows) x \(gram.cols)")
        let n = gram.cols
        return (0..<n).map { gram.data[$0 * n + $0] }
    }
}

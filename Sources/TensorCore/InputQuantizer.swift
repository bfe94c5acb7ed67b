/// A runtime's quantize-dequantize of a linear layer's input activations (the "A4" of W4A4, the "A8"
/// of W8A8), applied to the layer's input right before its product, exactly as the runtime does:
/// dynamic per-token or per-block scales, rounding and saturation.
///
/// The model (`LlamaBlockWeights.inputQuantizers`) holds one per activation-quantized layer; the
/// concrete quantizers live with the number formats (`Formats`).
public protocol InputQuantizer: Sendable {
    /// Quantizes and dequantizes `x` (rows x cols, row-major, one row per token) in place.
    /// - Precondition: `cols` is one the quantizer accepts (a multiple of its block); checked when
    ///   the plan is made, so a violation here is a programmer error.
    func fakeQuantize(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int)

    /// Equal for two quantizers that give the same output on every input (e.g. "nvfp4 gs=2.5"), so
    /// layers reading one input (q, k, v; gate, up) share one quantized copy.
    var identity: String { get }
}

import TensorCore

/// The inputs a block's linear layers multiply once input quantizers (W4A4, W8A8) are in play.
extension LlamaBlockWeights {
    /// Quantized copies of the input `x` (rows x cols) shared by the layers `kinds`: one copy per
    /// distinct quantizer (`InputQuantizer.identity`) among them, keyed by every layer that reads it.
    /// Layers without an input quantizer are absent: they multiply `x` itself. Empty (and free) for
    /// weight-only blocks.
    /// - Complexity: one `fakeQuantize` of rows x cols per distinct quantizer.
    func quantizedInputs(_ x: UnsafePointer<Float>, rows: Int, cols: Int, kinds: [LinearKind]) -> [LinearKind: [Float]] {
        if inputQuantizers.isEmpty { return [:] }
        var byIdentity: [String: [Float]] = [:]
        var out: [LinearKind: [Float]] = [:]
        for kind in kinds {
            guard let q = inputQuantizers[kind] else { continue }
            if let copy = byIdentity[q.identity] { out[kind] = copy; continue }
            var copy = Array(UnsafeBufferPointer(start: x, count: rows * cols))
            copy.withUnsafeMutableBufferPointer { q.fakeQuantize($0.baseAddress!, rows: rows, cols: cols) }
            byIdentity[q.identity] = copy
            out[kind] = copy
        }
        return out
    }
}

/// Runs `body` on the input layer `kind` multiplies: its quantized copy in `quantized` if it has
/// one, else `x`.
@inline(__always)
func withLayerInput<R>(_ kind: LinearKind, _ x: UnsafePointer<Float>, _ quantized: [LinearKind: [Float]],
                       _ body: (UnsafePointer<Float>) -> R) -> R {
    guard let copy = quantized[kind] else { return body(x) }
    return copy.withUnsafeBufferPointer { body($0.baseAddress!) }
}

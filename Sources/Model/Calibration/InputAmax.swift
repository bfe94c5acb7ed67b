import TensorCore

/// The absolute maximum of every linear input site's values over calibration windows, on the
/// original model: what an activation scheme with a static scale (NVFP4's per-layer global scale,
/// auto-round's `act_max`) is calibrated from. Layers at one site (q/k/v, gate/up) share one value,
/// as auto-round's fused-layer global scale makes them share one scale.
public struct InputAmax: Sendable, Equatable {
    /// max |x| by block, then site; NaN if any input was NaN.
    public let bySite: [[LinearInputSite: Float]]

    public init(bySite: [[LinearInputSite: Float]]) { self.bySite = bySite }

    /// The value of the site `id` reads.
    public subscript(id: LayerID) -> Float { bySite[id.block][id.kind.inputSite] ?? 0 }

    /// One streaming forward of `windows` (equal lengths) through every block, recording each site's
    /// absolute maximum. `progress(done, blocks)` follows each block.
    /// - Throws: `LlamaError` for bad windows or weights.
    /// - Complexity: one model forward over the windows (without the LM head).
    public static func measure(model: LlamaModel, windows: [[Int]], progress: ((Int, Int) -> Void)? = nil) throws -> InputAmax {
        let L = try LlamaModel.commonLength(windows)
        var hidden = try model.architecture.embed(windows.flatMap { $0 }, head: try model.loadHead())
        var out: [[LinearInputSite: Float]] = []
        for b in 0..<model.config.numHiddenLayers {
            var plain = try model.loadBlock(b)
            plain.inputQuantizers = [:]
            var sites: [LinearInputSite: Float] = [:]
            model.forwardBlock(index: b, weights: plain, hidden: &hidden, sequenceLength: L, observer: { site, x, _, _ in
                var m: Float = 0, nan = false
                for v in x { let a = v.magnitude; if a > m { m = a }; if a.isNaN { nan = true } }
                let previous = sites[site] ?? 0   // NaN stays NaN: Swift.max may drop it
                sites[site] = nan || previous.isNaN ? .nan : Swift.max(previous, m)
            })
            out.append(sites)
            progress?(b + 1, model.config.numHiddenLayers)
        }
        return InputAmax(bySite: out)
    }
}

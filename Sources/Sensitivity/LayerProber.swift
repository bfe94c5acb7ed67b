import Model
import Quant
import TensorCore

/// Measures KL divergences at the model output with one layer quantized, replaying the model from
/// that layer's cached block input (`LayerReplay`), and turns output errors into nats per token.
struct LayerProber {
    let model: LlamaModel
    let replay: LayerReplay
    let formats: [QuantFormat]
    let probeFormats: [QuantFormat]

    struct Result {
        /// The probes of each layer, in `probeFormats` order.
        var probes: [[LayerProbe]]
        /// gain_l(f) x outputError(l, f), [layer][format], the gain interpolated between the probes
        /// (`ProbeGain`).
        var calibrated: [[Double]]
        /// Measured KL per layer and format, when requested.
        var kl: [[Double]]?
    }

    /// For every layer: one replay per probe format with its round-to-nearest weight gives
    /// (outputError, KL) points; each format's gain comes from `ProbeGain`. With
    /// `measureEveryFormat`, one replay per format as well (probe formats among them are reused).
    /// - Complexity: (probes + formats not among them if measuring every format) replays per layer,
    ///   each running the blocks from the layer's block to the end and the LM head on the probe tokens.
    func run(_ layers: [LayerMeasurement], measureEveryFormat: Bool, clock: inout StageClock,
             progress: ((ProfilerProgress) -> Void)?) throws -> Result {
        let stage = StageProgress(stage: measureEveryFormat ? "kl" : "probe", total: layers.count, report: progress)
        var result = Result(probes: [], calibrated: [], kl: measureEveryFormat ? [] : nil)
        // A replay from block b runs blocks b..<n plus the head (about 8 blocks' worth for SmolLM2).
        let blocks = model.config.numHiddenLayers
        let headCost = Double(model.config.vocabSize) / Double(3 * model.config.intermediateSize + 4 * model.config.hiddenSize)
        func cost(_ layer: LayerMeasurement) -> Double { Double(blocks - layer.id.block) + headCost }
        let totalCost = layers.reduce(0) { $0 + cost($1) }
        var doneCost = 0.0
        var loadedBlock: (index: Int, weights: LlamaBlockWeights)?
        for (n, layer) in layers.enumerated() {
            if loadedBlock?.index != layer.id.block {
                loadedBlock = (layer.id.block, try clock.time(\.probeSeconds) { try model.loadBlock(layer.id.block) })
            }
            let weight = loadedBlock!.weights[layer.id.kind]
            let probeKL = try probeFormats.map { try measureKL(layer.id, weight: weight, format: $0, clock: &clock) }
            let points = zip(layer.probeOutputErrors, probeKL).map { ProbeGain.Point(outputError: $0, kl: $1) }
            result.probes.append(zip(probeFormats, points).map { format, p in
                LayerProbe(format: FormatName(format.name), outputError: p.outputError, kl: p.kl,
                           gain: p.outputError > 0 ? p.kl / p.outputError : 0)
            })
            result.calibrated.append(layer.outputError.map { ProbeGain.gain(outputError: $0, probes: points) * $0 })
            if measureEveryFormat {
                result.kl!.append(try formats.map { format in
                    try probeFormats.firstIndex(of: format).map { probeKL[$0] }
                        ?? measureKL(layer.id, weight: weight, format: format, clock: &clock)
                })
            }
            doneCost += cost(layer)
            stage.step(n + 1, work: doneCost / totalCost)
        }
        return result
    }

    /// Mean KL (nats per token, >= 0) with only `id` replaced by its round-to-nearest weight in `format`.
    func measureKL(_ id: LayerID, weight: Matrix, format: QuantFormat, clock: inout StageClock) throws -> Double {
        let quantized = try clock.time(\.quantizeSeconds) {
            try format.quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil)
        }
        return try clock.time(\.probeSeconds) { max(0, try replay.meanKL(replacing: [id: quantized])) }
    }
}

import Model
import Quant
import TensorCore

/// Measures KL divergences at the model output with one layer quantized, replaying the model from
/// that layer's cached block input (`LayerReplay`), and turns output errors into nats per token.
struct LayerProber {
    let model: LlamaModel
    let replay: LayerReplay
    let formats: [QuantFormat]
    let probeFormat: QuantFormat

    struct Result {
        /// One probe per layer.
        var probes: [LayerProbe]
        /// gain_l x outputError(l, f), [layer][format].
        var calibrated: [[Double]]
        /// Measured KL per layer and format, when requested.
        var kl: [[Double]]?
    }

    /// For every layer: one replay with the probe format's round-to-nearest weight gives
    /// gain = KL / outputError(probe) (0 when that error is 0: the probe reproduces the layer);
    /// with `measureEveryFormat`, one replay per format as well.
    /// - Complexity: (1 + formats if measuring every format) replays per layer, each running the
    ///   blocks from the layer's block to the end and the LM head on the probe tokens.
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
            let probeKL = try measureKL(layer.id, weight: weight, format: probeFormat, clock: &clock)
            let gain = layer.probeOutputError > 0 ? probeKL / layer.probeOutputError : 0
            result.probes.append(LayerProbe(outputError: layer.probeOutputError, kl: probeKL, gain: gain))
            result.calibrated.append(layer.outputError.map { gain * $0 })
            if measureEveryFormat {
                result.kl!.append(try formats.map { format in
                    format == probeFormat ? probeKL : try measureKL(layer.id, weight: weight, format: format, clock: &clock)
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

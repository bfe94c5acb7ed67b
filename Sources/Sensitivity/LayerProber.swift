import Model
import Formats
import TensorCore

/// Measures KL divergences at the model output with one layer quantized, replaying the model from
/// that layer's cached block input (`LayerReplay`), and turns errors into nats per token.
struct LayerProber {
    let model: LlamaModel
    let replay: LayerReplay
    let formats: [QuantFormat]
    let probeFormats: [QuantFormat]
    /// Input quantizers of the activation formats: `kl` replays run them.
    var inputQuantizers = ProfileInputQuantizers.none

    struct Result {
        /// The probes of each layer, in `probeFormats` order.
        var probes: [[LayerProbe]]
        /// The error `calibrated` scales, [layer][format]: the layer's output error, or for q/k/v its
        /// block's output error on the probe tokens (`ErrorSite`).
        var errors: [[Double]]
        /// gain_l(f) x errors[l][f], [layer][format], the gain interpolated between the probes
        /// (`ProbeGain`).
        var calibrated: [[Double]]
        /// Measured KL per layer and format, when requested.
        var kl: [[Double]]?
    }

    /// For every layer: one replay per probe format with its round-to-nearest weight gives
    /// (error, KL) points; each format's gain comes from `ProbeGain`. A q/k/v layer's errors are
    /// measured at its block's output (one block forward per format and probe on the probe tokens).
    /// With `measureEveryFormat`, one replay per format as well (probe formats among them are reused).
    /// - Complexity: (probes + formats not among them if measuring every format) replays per layer,
    ///   each running the blocks from the layer's block to the end and the LM head on the probe tokens;
    ///   plus (formats + probes not among them + 1) single-block forwards per q/k/v layer.
    func run(_ layers: [LayerMeasurement], measureEveryFormat: Bool, clock: inout StageClock,
             progress: ((ProfilerProgress) -> Void)?) throws -> Result {
        let stage = StageProgress(stage: measureEveryFormat ? "kl" : "probe", total: layers.count, report: progress)
        var result = Result(probes: [], errors: [], calibrated: [], kl: measureEveryFormat ? [] : nil)
        // A replay from block b runs blocks b..<n plus the head (about 8 blocks' worth for SmolLM2).
        let blocks = model.config.numHiddenLayers
        let headCost = Double(model.config.vocabSize) / Double(3 * model.config.intermediateSize + 4 * model.config.hiddenSize)
        func cost(_ layer: LayerMeasurement) -> Double { Double(blocks - layer.id.block) + headCost }
        let totalCost = layers.reduce(0) { $0 + cost($1) }
        var doneCost = 0.0
        var loaded: (index: Int, weights: LlamaBlockWeights, output: BlockOutputError?)?
        for (n, layer) in layers.enumerated() {
            let id = layer.id
            if loaded?.index != id.block {
                loaded = (id.block, try clock.time(\.probeSeconds) { try model.loadBlock(id.block) }, nil)
            }
            let site = ErrorSite(kind: id.kind)
            if site == .blockOutput && loaded!.output == nil {
                let w = loaded!.weights
                loaded!.output = clock.time(\.blockErrorSeconds) {
                    BlockOutputError(model: model, block: id.block, weights: w, input: replay.blockInput(id.block),
                                     sequenceLength: replay.sequenceLength)
                }
            }
            let one = try probe(layer, weight: loaded!.weights[id.kind], site: site, blockOutput: loaded!.output,
                                measureEveryFormat: measureEveryFormat, clock: &clock)
            result.probes.append(one.probes)
            result.errors.append(one.errors)
            result.calibrated.append(one.calibrated)
            if let kl = one.kl { result.kl!.append(kl) }
            doneCost += cost(layer)
            stage.step(n + 1, work: doneCost / totalCost)
        }
        return result
    }

    /// One layer's row of `Result`: its probes, errors, calibrated scores and (if asked) measured KLs.
    private func probe(_ layer: LayerMeasurement, weight: Matrix, site: ErrorSite, blockOutput: BlockOutputError?,
                       measureEveryFormat: Bool, clock: inout StageClock)
        throws -> (probes: [LayerProbe], errors: [Double], calibrated: [Double], kl: [Double]?) {
        let id = layer.id
        let probeWeights = try probeFormats.map { try quantize(id, weight, $0, clock: &clock) }
        let probeKL = try probeWeights.map { try measureKL(id, quantized: $0, clock: &clock) }
        // Every format's weight, when the block errors or the KLs need it (probes reused).
        let formatWeights = site == .blockOutput || measureEveryFormat
            ? try formats.map { f in try probeFormats.firstIndex(of: f).map { probeWeights[$0] } ?? quantize(id, weight, f, clock: &clock) }
            : nil
        let errors: [Double], probeErrors: [Double]
        if site == .blockOutput, let blockOutput, let formatWeights {
            func error(_ q: Matrix, _ input: ActivationQuantizer? = nil) -> Double {
                clock.time(\.blockErrorSeconds) { blockOutput.meanSquaredChange(id.kind, replacement: q, input: input) }
            }
            probeErrors = probeWeights.map { error($0) }
            errors = formats.indices.map { f in
                if formats[f].activation != nil {
                    guard let q = inputQuantizers.quantizer(id, f) else { return 0 }   // no candidate
                    return error(formatWeights[f], q)
                }
                return probeFormats.firstIndex(of: formats[f]).map { probeErrors[$0] } ?? error(formatWeights[f])
            }
        } else {
            probeErrors = layer.probeOutputErrors
            errors = layer.outputError
        }
        let points = zip(probeErrors, probeKL).map { ProbeGain.Point(outputError: $0, kl: $1) }
        let probes = zip(probeFormats, points).map { format, p in
            LayerProbe(format: format, outputError: p.outputError, kl: p.kl,
                       gain: p.outputError > 0 ? p.kl / p.outputError : 0, site: site)
        }
        var kl: [Double]?
        if measureEveryFormat, let formatWeights {
            kl = try formats.indices.map { f in
                if formats[f].activation != nil {
                    // No candidate where the inputs are not whole groups (left out of the profile).
                    guard let q = inputQuantizers.quantizer(id, f) else { return 0 }
                    return try measureKL(id, quantized: formatWeights[f], input: q, clock: &clock)
                }
                return try probeFormats.firstIndex(of: formats[f]).map { probeKL[$0] } ?? measureKL(id, quantized: formatWeights[f], clock: &clock)
            }
        }
        // An activation format's error (measured with Q(X)) scales by the layer's gain like any other.
        return (probes, errors, errors.map { ProbeGain.gain(outputError: $0, probes: points) * $0 }, kl)
    }

    /// `weight` replaced by its round-to-nearest value in `format`.
    func quantize(_ id: LayerID, _ weight: Matrix, _ format: QuantFormat, clock: inout StageClock) throws -> Matrix {
        try clock.time(\.quantizeSeconds) { try format.quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil) }
    }

    /// Mean KL (nats per token, >= 0) with only `id` replaced by `quantized`.
    func measureKL(_ id: LayerID, quantized: Matrix, input: ActivationQuantizer? = nil, clock: inout StageClock) throws -> Double {
        try clock.time(\.probeSeconds) {
            max(0, try replay.meanKL(replacing: [id: quantized], inputQuantizers: input.map { [id: $0] } ?? [:]))
        }
    }
}

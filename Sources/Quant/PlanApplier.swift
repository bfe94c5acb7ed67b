import Dispatch
import Foundation
import Model
import Formats
import TensorCore
import IO

/// What `PlanApplier` runs.
public struct QuantizeOptions: Sendable, Equatable {
    public var method: QuantizeMethod = .signround
    public var signRound = SignRoundOptions()
    /// Calibration windows: count, length and seed (see `CalibrationWindows.sample`).
    public var calibration = CalibrationOptions(sampleCount: 32, sequenceLength: 512, seed: 42)
    /// Inputs from the partly quantized model (AutoRound's `enable_quanted_input`); the target stays
    /// the original output. Off by default: on the default model, layer-wise SignRound on quantized
    /// inputs lost to RTN at 2.5 bits (held-out KL 6.72 vs 4.48 nats/token) because each window's
    /// first position (the attention sink, activations ~100x the rest) dominates the objective, while
    /// original inputs beat RTN at 3.0 and 2.5 bits (KL -42% and -32%); see Guides/SignRound.md.
    public var quantizedInput = false
    /// Positions at the start of every calibration window left out of the Gram matrices (see
    /// `CalibrationStreams.skippedPositions`).
    public var skippedPositions = 0
    /// Layer-wise (default) or block-wise SignRound (`BlockSignRound`; always on quantized inputs,
    /// `quantizedInput` and `skippedPositions` apply to layer scope only).
    public var scope: SignRoundScope = .layer
    /// Calibration samples per block-wise step (AutoRound's default 8); capped at the sample count.
    public var batchSize = 8
    /// Where block-wise SignRound's clips start (see `SignRoundStart`).
    public var signRoundStart: SignRoundStart = .weightedRTN
    /// What block-wise SignRound minimizes (see `BlockLoss`; the recipes take `.normalized`).
    public var blockLoss: BlockLoss = .mse
    /// Block-wise SignRound's step factor for the blocks' RMSNorm weights (`BlockNormStep`: each
    /// weight travels at most about half this fraction of its value; 0 leaves the norms).
    public var normStep: Float = 0
    /// Which iteration's parameters block-wise SignRound keeps.
    public var keptIteration: BlockKeptIteration = .minibatchBest
    /// The end-to-end pass on the model's output distribution after block-wise SignRound (off at 0 steps).
    public var endToEnd = EndToEndOptions()
    /// Calibration windows (of `calibration.sampleCount`) that the original model writes itself from
    /// prompts of the calibration text, as the end-to-end pass's `.generated` windows
    /// (`QuantizeStage`); the others are windows of the text.
    public var generatedWindows = 0
    /// Calibration windows of a plan of ggml block types only, when the window count was not asked
    /// for: llama.cpp's quantizers take nothing from calibration but each input channel's activation
    /// energy, a sum that has settled by 8 windows of 512 tokens (the 4.3-bit plan of
    /// reports/gguf.md: KL 0.1823 with 8 windows, 0.1836 with 16, 0.1825 with 32), so
    /// `QuantizeStage` draws this many. nil: `calibration.sampleCount` for every plan.
    public var ggmlEnergyWindows: Int?

    public init() {}
}

/// The quantized linear weights of a model (dequantized Float32, source row layout) and statistics.
public struct QuantizedWeights: Sendable {
    /// Replacement weight by layer; layers the plan leaves out are absent.
    public var weights: [LayerID: Matrix]
    /// Codes and scales by layer (the learned rounding applied), for packed checkpoints.
    public var quantized: [LayerID: QuantizedTensor]
    public var stats: [LayerQuantizeStats]
    /// Tuned norm weights by block (block-wise SignRound with a norm step); blocks absent keep the model's.
    public var norms: [Int: BlockNorms] = [:]
    /// The end-to-end pass's statistics, when it ran.
    public var endToEnd: EndToEndStats?
    /// Input quantizers of the activation-quantized layers (W4A4, W8A8), calibrated on the
    /// calibration windows (`ActivationCalibration`); empty for a weight-only plan.
    public var inputQuantizers: [LayerID: ActivationQuantizer] = [:]

    /// Puts the quantized linear weights and the tuned norms into `blocks` (the model's, in block order).
    public func apply(to blocks: inout [LlamaBlockWeights]) {
        for (id, weight) in weights { blocks[id.block][id.kind] = weight }
        for (b, n) in norms {
            blocks[b].inputNorm = n.input
            blocks[b].postAttentionNorm = n.postAttention
        }
    }

    /// Replacement values of non-linear tensors by Hugging Face tensor name (the tuned norms).
    public var tensorReplacements: [String: [Float]] {
        var out: [String: [Float]] = [:]
        for (b, n) in norms {
            out["model.layers.\(b).input_layernorm.weight"] = n.input
            out["model.layers.\(b).post_attention_layernorm.weight"] = n.postAttention
        }
        return out
    }
}

/// A block's two hidden-wide RMSNorm weights (hidden each).
public struct BlockNorms: Sendable, Equatable {
    public var input: [Float]
    public var postAttention: [Float]

    public init(input: [Float], postAttention: [Float]) {
        self.input = input
        self.postAttention = postAttention
    }
}

/// Applies a plan to a model block by block: captures the calibration inputs of each block (on the
/// original and, with quantized input, the partly quantized model), quantizes the block's layers
/// with SignRound or round-to-nearest, then moves the quantized stream through the quantized block.
/// Progress (one line per layer, with an ETA from the work left) goes to `progress`.
public struct PlanApplier {
    public let model: LlamaModel
    public let formats: [LayerID: QuantFormat]
    public let options: QuantizeOptions

    public init(model: LlamaModel, formats: [LayerID: QuantFormat], options: QuantizeOptions) {
        self.model = model
        self.formats = formats
        self.options = options
    }

    /// Runs the plan over calibration `windows` (equal-length token windows). With `options.scope ==
    /// .block` (and SignRound) this is `BlockSignRound`'s run; otherwise layer by layer as described.
    /// - Throws: `LlamaError` for bad windows or weights, `SignRoundError`, `QuantError`.
    /// - Complexity: 3 block forwards per block over all windows plus, per tuned layer and iteration,
    ///   at most 2 out x in^2 flops (the sgemm; groups of 64 and more update partial products instead,
    ///   see `SignRoundGroupProducts`).
    /// - Parameter gramCache: original-stream Gram matrices shared between runs (ignored with quantized
    ///   input, whose statistics depend on the plan, and in block scope): filled by the first run, then
    ///   read instead of running the calibration forwards.
    /// - Parameter endToEndWindows: windows the end-to-end pass (`options.endToEnd`) sees besides
    ///   `windows`, so that its steps need not repeat windows (`EndToEndOptions.extraWindows`).
    ///
    /// Activation-quantized layers get their input quantizers first (`ActivationCalibration`). Block
    /// scope tunes with them active in the forward (the layers see Q(X)); layer scope and round-to-
    /// nearest quantize the weights as for the weight-only format (the Gram objective knows only X).
    /// - Parameter endToEndTeacher: the original model's final hidden states on `endToEndWindows` when
    ///   already known (windows it wrote itself, `ResidentLlama.sample`); nil: computed here.
    public func run(windows: [[Int]], endToEndWindows: [[Int]] = [], endToEndTeacher: Matrix? = nil,
                    gramCache: CalibrationGramCache? = nil, progress: ((String) -> Void)? = nil) throws -> QuantizedWeights {
        let inputQuantizers = try ActivationCalibration.inputQuantizers(model: model, formats: formats, windows: windows,
                                                                        progress: progress)
        var out = try runWeights(windows: windows, endToEndWindows: endToEndWindows, endToEndTeacher: endToEndTeacher,
                                 gramCache: gramCache,
                                 inputQuantizers: inputQuantizers, progress: progress)
        out.inputQuantizers = inputQuantizers
        return out
    }

    private func runWeights(windows: [[Int]], endToEndWindows: [[Int]], endToEndTeacher: Matrix?, gramCache: CalibrationGramCache?,
                            inputQuantizers: [LayerID: ActivationQuantizer],
                            progress: ((String) -> Void)?) throws -> QuantizedWeights {
        // SignRound does not tune ggml block types: a plan of them only is rounded once on the
        // original model's activation energy, llama.cpp's imatrix, whatever the recipe.
        if Self.ggmlOnly(formats), options.method != .rtnPlain, !(options.quantizedInput && options.method == .signround) {
            return try runOnActivationEnergy(windows: windows, progress: progress)
        }
        if options.scope == .block && options.method == .signround {
            var tuner = BlockSignRound(model: model, formats: formats, options: options)
            tuner.inputQuantizers = inputQuantizers
            return try tuner.run(windows: windows, endToEndWindows: endToEndWindows, endToEndTeacher: endToEndTeacher,
                                 progress: progress)
        }
        let quantizedInput = options.quantizedInput && options.method == .signround
        let clock = ProgressClock()
        let blocks = model.config.numHiddenLayers
        let cache = quantizedInput ? nil : gramCache
        let cached = cache?.serves(windows: windows, skippedPositions: options.skippedPositions, blocks: blocks) ?? false
        let streams = cached ? nil : try CalibrationStreams(model: model, windows: windows, quantizedInput: quantizedInput,
                                                            skippedPositions: options.skippedPositions)
        if cached { cache?.countHit() }
        var out = QuantizedWeights(weights: [:], quantized: [:], stats: [])
        let totalWork = formats.keys.reduce(0.0) { $0 + work($1) }
        var doneWork = 0.0
        for block in 0..<blocks {
            var weights = try model.loadBlock(block)
            let grams: [LinearInputSite: SiteGrams]
            if cached, let stored = cache?.grams(block: block) {
                grams = stored
            } else {
                grams = streams!.grams(block: block, weights: weights)
                if cache?.windows == windows && cache?.skippedPositions == options.skippedPositions {
                    cache?.store(block: block, grams: grams)
                }
            }
            for kind in LinearKind.allCases {
                let id = LayerID(block: block, kind: kind)
                guard let format = formats[id] else { continue }
                let site = grams[kind.inputSite]!
                let w = weights[kind]
                let objective = try site.objective(kind: kind, weights: w, layer: id.description)
                var so = options.signRound
                if options.method != .signround { so.iterations = 0 }
                let result: SignRoundResult
                if format.family == .ggml {
                    let packed: QuantizedTensor
                    (result, packed) = try Self.ggmlRounding(weights: w, format: format, objective: objective,
                                                              weighted: options.method != .rtnPlain, name: id.description)
                    out.quantized[id] = packed
                } else {
                    result = options.method == .rtn
                        ? try SignRound.weightedRTN(weights: w, format: format, objective: objective, name: id.description)
                        : try SignRound.optimize(weights: w, format: format, objective: objective,
                                                 options: so, name: id.description)
                    out.quantized[id] = try format.quantizer.quantize(weights: w, name: id.description,
                                                                      adjustments: result.adjustments)
                }
                weights[kind] = result.weights
                out.weights[id] = result.weights
                out.stats.append(LayerQuantizeStats(
                    name: id.description, format: format.name, rtnError: result.rtnLoss,
                    signRoundError: result.bestLoss, bestIteration: result.bestIteration,
                    iterations: result.adjustments == nil ? 0 : so.iterations, seconds: result.seconds,
                    cpuSeconds: result.cpuSeconds,
                    gflop: result.gemmFlops / 1e9, rowUpdatesPerStep: result.rowUpdatesPerStep))
                doneWork += work(id)
                progress?(progressLine(id: id, format: format, result: result, clock: clock,
                                       fraction: doneWork / max(totalWork, 1)))
            }
            streams?.advanceQuantized(block: block, weights: weights)
        }
        return out
    }

    /// A plan of ggml block types only (bf16 layers aside, which are rounded; original inputs): the importance is all the
    /// quantizers take, so each block runs once over the windows measuring its inputs' activation
    /// energy (`BlockInputEnergy`, O(in) per token instead of a Gram matrix's O(in^2)). The statistics
    /// are then the importance-weighted error sum_j h_j (w_j - q_j)^2 / tokens (the Gram objective's
    /// diagonal part): `rtnError` of llama.cpp's reference quantizer, `signRoundError` of the result.
    /// - Complexity: one block forward per block over all windows, plus the quantizers.
    func runOnActivationEnergy(windows: [[Int]], progress: ((String) -> Void)?) throws -> QuantizedWeights {
        guard let length = windows.first?.count, length > options.skippedPositions, windows.allSatisfy({ $0.count == length }) else {
            throw LlamaError.textTooShort(tokens: windows.first?.count ?? 0, needed: options.skippedPositions + 1)
        }
        let clock = ProgressClock(), blocks = model.config.numHiddenLayers
        let tokens = Double(windows.count * (length - options.skippedPositions))
        var hidden = try model.architecture.embed(windows.flatMap { $0 }, head: try model.loadHead())
        var out = QuantizedWeights(weights: [:], quantized: [:], stats: [])
        for block in 0..<blocks {
            let weights = try model.loadBlock(block)
            let energy = BlockInputEnergy.measureAndAdvance(model: model, block: block, weights: weights, hidden: &hidden,
                                                            length: length, skippedPositions: options.skippedPositions)
            for kind in LinearKind.allCases {
                let id = LayerID(block: block, kind: kind)
                guard let format = formats[id] else { continue }
                let start = DispatchTime.now().uptimeNanoseconds
                let w = weights[kind], h = energy[kind.inputSite]!
                let rounded = format.family == .ggml
                    ? try GGMLImportanceRounding.quantize(weights: w, format: format, importance: h, name: id.description)
                    : try { () throws -> GGMLImportanceRounding.Result in   // bf16: rounded
                        let t = try format.quantizer.quantize(weights: w, name: id.description)
                        return GGMLImportanceRounding.Result(tensor: t, weights: try format.quantizer.dequantize(t))
                    }()
                let reference = try format.quantizer.fakeQuantize(w, name: id.description, adjustments: nil)
                out.weights[id] = rounded.weights
                out.quantized[id] = rounded.tensor
                out.stats.append(LayerQuantizeStats(
                    name: id.description, format: format.name,
                    rtnError: Self.weightedError(w, reference, h) / tokens, signRoundError: Self.weightedError(w, rounded.weights, h) / tokens,
                    bestIteration: 0, iterations: 0, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                    cpuSeconds: 0, gflop: 0))
            }
            progress?("block \(block + 1)/\(blocks): ggml layers rounded on activation energy | "
                      + clock.elapsedAndETA(fraction: Double(block + 1) / Double(blocks)))
        }
        return out
    }

    /// Whether the plan holds ggml block types and, besides them, bf16 only.
    public static func ggmlOnly(_ formats: [LayerID: QuantFormat]) -> Bool {
        formats.values.contains { $0.family == .ggml } && formats.values.allSatisfy { $0.family == .ggml || $0.family == .bf16 }
    }

    /// sum_ij h_j (w_ij - q_ij)^2, in Double.
    static func weightedError(_ w: Matrix, _ q: Matrix, _ h: [Float]) -> Double {
        var total = 0.0
        for r in 0..<w.rows {
            var acc: Float = 0
            for c in 0..<w.cols {
                let d = w.data[r * w.cols + c] - q.data[r * w.cols + c]
                acc += h[c] * d * d
            }
            total += Double(acc)
        }
        return total
    }

    /// A layer planned in a ggml block type: llama.cpp's importance-weighted quantizer with the
    /// layer's input Gram diagonal as importance (`GGMLImportanceRounding`) for SignRound and RTN
    /// (SignRound does not tune these types), llama.cpp's reference quantizer for plain RTN
    /// (`weighted` false). The result's `rtnLoss` is the reference quantizer's, `bestLoss` the
    /// result's; the weights are the stored blocks decoded.
    static func ggmlRounding(weights w: Matrix, format: QuantFormat, objective: LayerObjective, weighted: Bool,
                             name: String) throws -> (SignRoundResult, QuantizedTensor) {
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = SignRound.processCPUSeconds()
        let reference = try GGMLFormatQuantizer(format: format).quantize(weights: w, name: name, importance: nil)
        let rounded = weighted
            ? try GGMLImportanceRounding.quantize(weights: w, format: format,
                                                  importance: GGMLImportanceRounding.diagonal(objective.gram), name: name)
            : GGMLImportanceRounding.Result(tensor: reference, weights: try format.quantizer.dequantize(reference))
        let referenceLoss = weighted ? objective.loss(candidate: try format.quantizer.dequantize(reference), weights: w) : nil
        let loss = objective.loss(candidate: rounded.weights, weights: w)
        let result = SignRoundResult(adjustments: nil, weights: rounded.weights,
                                     rtnLoss: referenceLoss ?? loss, bestLoss: loss,
                                     bestIteration: 0, lossHistory: [loss],
                                     seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                                     cpuSeconds: SignRound.processCPUSeconds() - cpuStart,
                                     gemmFlops: 4 * Double(w.rows) * Double(w.cols) * Double(w.cols), rowUpdatesPerStep: nil)
        return (result, rounded.tensor)
    }

    /// Relative cost of a layer for the ETA: out x in^2 (the step loop's sgemm) plus a forward share.
    private func work(_ id: LayerID) -> Double {
        let s = model.config.linearShape(of: id.kind)
        return Double(s[0]) * Double(s[1]) * Double(s[1])
    }

    private func progressLine(id: LayerID, format: QuantFormat, result: SignRoundResult, clock: ProgressClock,
                              fraction: Double) -> String {
        let gain = result.rtnLoss > 0 ? 100 * (1 - result.bestLoss / result.rtnLoss) : 0
        let head = "block \(id.block + 1)/\(model.config.numHiddenLayers) \(id.kind.rawValue) \(format.name)"
        return head + ": rtn \(fmt("%.4g", result.rtnLoss)) -> \(fmt("%.4g", result.bestLoss)) "
            + "(\(fmt("%.1f", gain))% lower, iteration \(result.bestIteration)) \(fmt("%.2f", result.seconds)) s"
            + " | " + clock.elapsedAndETA(fraction: fraction)
    }

    private func fmt(_ f: String, _ x: Double) -> String { String(format: f, x) }
}

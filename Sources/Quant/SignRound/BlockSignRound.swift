import Dispatch
import Foundation
import Model
import Formats
import TensorCore
import IO

/// Block-wise SignRound over a whole model (AutoRound's `quant_block` loop with
/// `enable_quanted_input`): for each block in order, the targets are the original block's outputs on
/// the original model's hidden states, the inputs are the hidden states of the model whose earlier
/// blocks are already quantized, and `BlockTuner` tunes all the block's planned layers together.
/// The quantized stream then moves through the quantized block.
///
/// Statistics: every layer of a block reports the block's output MSE over all calibration samples
/// (mean squared error per element, the same number for each layer of the block): `rtnError` with
/// every planned layer rounded to nearest, `signRoundError` with the kept parameters.
public struct BlockSignRound {
    public let model: LlamaModel
    public let formats: [LayerID: QuantFormat]
    public let options: QuantizeOptions
    /// Input quantizers of the plan's activation-quantized layers (`ActivationCalibration`): active
    /// in every forward of the quantized stream (tuning, the end-to-end pass), never in the
    /// original's, so the targets stay the original model's outputs.
    public var inputQuantizers: [LayerID: ActivationQuantizer] = [:]

    public init(model: LlamaModel, formats: [LayerID: QuantFormat], options: QuantizeOptions) {
        self.model = model
        self.formats = formats
        self.options = options
    }

    /// Runs the plan over calibration `windows` (equal-length token windows).
    /// - Throws: `LlamaError` for bad windows or weights, `SignRoundError` for bad options, `QuantError`.
    /// - Complexity: per block 3 forwards over all windows plus `iterations` x (one forward and one
    ///   reverse pass over batch x L tokens). Memory: three hidden-state streams (samples x L x hidden).
    /// - Parameter endToEndWindows: further windows of the same length for the end-to-end pass only: the
    ///   original model's stream moves through them too (its teacher states), nothing is tuned on them here.
    /// - Parameter endToEndTeacher: the original model's final hidden states on `endToEndWindows`
    ///   (windows x L rows) when already known; then the original stream does not carry those windows.
    public func run(windows: [[Int]], endToEndWindows: [[Int]] = [], endToEndTeacher: Matrix? = nil,
                    progress: ((String) -> Void)? = nil) throws -> QuantizedWeights {
        try options.signRound.validate()
        guard let length = windows.first?.count, length > 0, windows.allSatisfy({ $0.count == length }) else {
            throw LlamaError.textTooShort(tokens: windows.first?.count ?? 0, needed: 1)
        }
        guard options.batchSize >= 1 else {
            throw SignRoundError.invalidOptions(reason: "batch size must be >= 1, got \(options.batchSize)")
        }
        let clock = ProgressClock()
        let arch = model.architecture, blocks = model.config.numHiddenLayers
        var original = try arch.embed(windows.flatMap { $0 }, head: try model.loadHead())
        var quantized = original
        // The pass tunes int group scales only: a plan without int layers skips it and its teacher windows.
        let endToEnd = options.endToEnd.steps > 0 && formats.values.contains { $0.family == .int }
        if let endToEndTeacher, endToEndTeacher.rows != endToEndWindows.count * length || endToEndTeacher.cols != model.config.hiddenSize {
            throw SignRoundError.invalidOptions(reason: "end-to-end teacher states are \(endToEndTeacher.rows) x \(endToEndTeacher.cols), "
                                                + "expected \(endToEndWindows.count * length) x \(model.config.hiddenSize)")
        }
        let carried = endToEnd && !endToEndWindows.isEmpty && endToEndTeacher == nil
        var teacherExtra = carried ? try arch.embed(endToEndWindows.flatMap { $0 }, head: try model.loadHead()) : Matrix(rows: 0, cols: 0)
        var sampler = MinibatchSampler(count: windows.count, batch: min(options.batchSize, windows.count),
                                       seed: options.calibration.seed)
        var out = QuantizedWeights(weights: [:], quantized: [:], stats: [])
        var tunedBlocks: [LlamaBlockWeights] = []
        for b in 0..<blocks {
            let weights = try model.loadBlock(b)
            var planned: [LinearKind: QuantFormat] = [:]
            for kind in LinearKind.allCases { planned[kind] = formats[LayerID(block: b, kind: kind)] }
            let targets = forward(weights, original, length)
            if carried { teacherExtra = forward(weights, teacherExtra, length) }
            // ggml block types are rounded once, on the quantized stream's activation energy, and held
            // fixed while SignRound tunes the block's other layers.
            let ggml = try ggmlLayers(block: b, weights: weights, planned: planned, hidden: quantized, length: length)
            var fixedBlock = weights
            for kind in LinearKind.allCases { fixedBlock.inputQuantizers[kind] = inputQuantizers[LayerID(block: b, kind: kind)] }
            for (kind, r) in ggml { fixedBlock[kind] = r.weights; planned[kind] = nil }
            var rtnBlock = fixedBlock
            for (kind, format) in planned {
                rtnBlock[kind] = try format.quantizer.fakeQuantize(weights[kind], name: LayerID(block: b, kind: kind).description)
            }
            // One forward of the round-to-nearest block gives its loss (the statistics' baseline) and, for the
            // weighted-RTN start, the input energy of every site as the quantized block will see it (its importance).
            let weighted = options.signRoundStart == .weightedRTN
            var rtnOutput = weighted ? quantized : forward(rtnBlock, quantized, length)
            let energy = weighted ? BlockInputEnergy.measureAndAdvance(model: model, block: b, weights: rtnBlock,
                                                                       hidden: &rtnOutput, length: length) : [:]
            let rtnLoss = BlockTuner.meanSquaredError(rtnOutput, targets).0
            var blockTuner = BlockTuner(architecture: arch, formats: planned, options: options.signRound,
                                        sequenceLength: length)
            blockTuner.skippedPositions = options.skippedPositions
            blockTuner.loss = options.blockLoss
            blockTuner.normStep = BlockNormStep(factor: options.normStep)
            blockTuner.kept = options.keptIteration
            if weighted {
                blockTuner.startClips = try BlockInputEnergy.startingClips(block: b, weights: weights, energy: energy,
                                                                           formats: planned)
            }
            let every = max(1, options.signRound.iterations / 4)
            let result = try blockTuner.tune(block: fixedBlock, names: { LayerID(block: b, kind: $0).description },
                                             inputs: quantized, targets: targets, sampler: &sampler) { t in
                guard (t + 1) % every == 0, t + 1 < options.signRound.iterations else { return }
                progress?(progressLine(block: b, note: "iteration \(t + 1)/\(options.signRound.iterations)",
                                       clock: clock, fraction: (Double(b) + Double(t + 1) / Double(options.signRound.iterations)) / Double(blocks)))
            }
            quantized = forward(result.weights, quantized, length)
            if endToEnd { tunedBlocks.append(result.weights) }
            let bestLoss = BlockTuner.meanSquaredError(quantized, targets).0
            original = targets
            try record(block: b, weights: weights, planned: planned, result: result, rtnLoss: rtnLoss,
                       bestLoss: bestLoss, into: &out)
            for kind in LinearKind.allCases {
                guard let r = ggml[kind] else { continue }
                let id = LayerID(block: b, kind: kind)
                out.weights[id] = r.weights
                out.quantized[id] = r.tensor
                out.stats.append(LayerQuantizeStats(name: id.description, format: r.tensor.format.name, rtnError: rtnLoss,
                                                    signRoundError: bestLoss, bestIteration: 0, iterations: 0,
                                                    seconds: 0, cpuSeconds: 0, gflop: 0))
            }
            let gain = rtnLoss > 0 ? 100 * (1 - bestLoss / rtnLoss) : 0
            progress?(progressLine(block: b, note: "block MSE rtn \(fmt("%.4g", rtnLoss)) -> \(fmt("%.4g", bestLoss)) "
                                   + "(\(fmt("%.1f", gain))% lower, iteration \(result.bestIteration)) \(fmt("%.1f", result.seconds)) s",
                                   clock: clock, fraction: Double(b + 1) / Double(blocks)))
        }
        if endToEnd {
            if let endToEndTeacher { teacherExtra = endToEndTeacher }
            let fresh = options.endToEnd.windows == .fresh
            let teacher = fresh ? teacherExtra
                : Matrix(rows: original.rows + teacherExtra.rows, cols: original.cols, data: original.data + teacherExtra.data)
            let tuner = EndToEndTuner(architecture: arch, head: try model.loadHead(), options: options.endToEnd,
                                      seed: options.calibration.seed)
            let stats = try tuner.tune(blocks: &tunedBlocks, quantized: &out.quantized, windows: fresh ? endToEndWindows : windows + endToEndWindows, teacher: teacher,
                                    progress: progress)
            for id in out.quantized.keys { out.weights[id] = tunedBlocks[id.block][id.kind] }
            out.endToEnd = stats
            progress?("end-to-end: \(stats.scales) group scales, \(stats.steps) steps in \(fmt("%.1f", stats.seconds)) s; "
                      + "minibatch KL \(fmt("%.4f", stats.firstKL)) -> \(fmt("%.4f", stats.lastKL))")
        }
        return out
    }

    /// The block's layers planned in a ggml block type, quantized by llama.cpp's importance-weighted
    /// quantizers with the activation energy of their inputs on `hidden` (the quantized stream) as
    /// importance (`GGMLImportanceRounding`).
    private func ggmlLayers(block b: Int, weights: LlamaBlockWeights, planned: [LinearKind: QuantFormat], hidden: Matrix,
                            length: Int) throws -> [LinearKind: GGMLImportanceRounding.Result] {
        let kinds = planned.filter { $0.value.family == .ggml }
        guard !kinds.isEmpty else { return [:] }
        let energy = BlockInputEnergy.measure(model: model, block: b, weights: weights, hidden: hidden, length: length)
        var out: [LinearKind: GGMLImportanceRounding.Result] = [:]
        for (kind, format) in kinds {
            out[kind] = try GGMLImportanceRounding.quantize(weights: weights[kind], format: format,
                                                            importance: energy[kind.inputSite]!,
                                                            name: LayerID(block: b, kind: kind).description)
        }
        return out
    }

    /// Adds the block's quantized weights, packed tensors and statistics to `out`.
    private func record(block b: Int, weights: LlamaBlockWeights, planned: [LinearKind: QuantFormat],
                        result: BlockTuneResult, rtnLoss: Double, bestLoss: Double, into out: inout QuantizedWeights) throws {
        let layerSeconds = result.seconds / Double(max(planned.count, 1))
        if options.normStep > 0 {
            out.norms[b] = BlockNorms(input: result.weights.inputNorm, postAttention: result.weights.postAttentionNorm)
        }
        for kind in LinearKind.allCases {
            guard let format = planned[kind] else { continue }
            let id = LayerID(block: b, kind: kind)
            let adjustments = result.parameters[kind]?.adjustments
            out.weights[id] = result.weights[kind]
            out.quantized[id] = try format.quantizer.quantize(weights: weights[kind], name: id.description,
                                                              adjustments: adjustments)
            let tuned = adjustments != nil
            out.stats.append(LayerQuantizeStats(
                name: id.description, format: format.name, rtnError: rtnLoss, signRoundError: tuned ? bestLoss : rtnLoss,
                bestIteration: tuned ? result.bestIteration : 0, iterations: tuned ? options.signRound.iterations : 0,
                seconds: layerSeconds, cpuSeconds: 0, gflop: 0))
        }
    }

    /// The block applied to every sample of `hidden`, `samplesPerChunk` windows at a time.
    private func forward(_ weights: LlamaBlockWeights, _ hidden: Matrix, _ length: Int) -> Matrix {
        var result = hidden
        let width = hidden.cols, samples = hidden.rows / length, chunk = 8
        for first in stride(from: 0, to: samples, by: chunk) {
            let rows = (first * length)..<(min(samples, first + chunk) * length)
            var h = hidden.rows(rows)
            model.architecture.forwardBlock(weights: weights, hidden: &h, sequenceLength: length)
            result.data.replaceSubrange((rows.lowerBound * width)..<(rows.upperBound * width), with: h.data)
        }
        return result
    }

    private func progressLine(block b: Int, note: String, clock: ProgressClock, fraction: Double) -> String {
        return "block \(b + 1)/\(model.config.numHiddenLayers) (block-wise): \(note)"
            + " | " + clock.elapsedAndETA(fraction: fraction)
    }

    private func fmt(_ f: String, _ x: Double) -> String { String(format: f, x) }
}

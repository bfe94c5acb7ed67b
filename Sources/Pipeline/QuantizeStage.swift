import Export
import Foundation
import Model
import Quant
import Formats

/// The quantize stage of `run` and `quantize`: calibration windows sampled from the calibration
/// text, then a plan's formats applied to the model block by block (SignRound or round-to-nearest,
/// as `QuantizeOptions` says).
public enum QuantizeStage {
    /// The quantized weights and their statistics (written as `quantize-stats.json`).
    public struct Output {
        public var applied: QuantizedWeights
        public var stats: QuantizeStats
    }

    /// - Parameters:
    ///   - formats: the plan's format per layer (`PlanFormats.resolve`).
    ///   - planFile: how the statistics name the plan.
    ///   - options: quantizer settings; `options.calibration` gives the windows' count, length and seed.
    ///   - progress: one line per layer (or block), with an ETA.
    public static func run(_ inputs: ProfileInputs, formats: [LayerID: QuantFormat], planFile: String,
                           options: QuantizeOptions, progress: @escaping (String) -> Void) throws -> Output {
        let start = Date()
        try checkText(inputs, options: options)
        let c = options.calibration
        let extra = extraWindows(options)
        // The first sampleCount draws are the same windows with or without the extra ones.
        let all = try CalibrationWindows.sample(tokens: inputs.tokens, count: c.sampleCount + extra,
                                                length: c.sequenceLength, seed: c.seed)
        let windows = Array(all[..<c.sampleCount])
        let applied = try PlanApplier(model: inputs.model, formats: formats, options: options)
            .run(windows: windows, endToEndWindows: Array(all[c.sampleCount...]), progress: progress)
        var stats = QuantizeStats(model: inputs.description.path, plan: planFile, options: options,
                                  totalSeconds: Date().timeIntervalSince(start), layers: applied.stats)
        stats.endToEnd = applied.endToEnd
        return Output(applied: applied, stats: stats)
    }

    /// The calibration text must hold `options`' windows without overlap (count x length tokens), so
    /// that no recipe trains on repeated text unawares.
    /// - Throws: `PipelineError.textTooShort` naming the file, its tokens and the tokens needed.
    public static func checkText(_ inputs: ProfileInputs, options: QuantizeOptions) throws {
        let c = options.calibration, extra = extraWindows(options)
        try TextLength.check(inputs.tokens.count, path: inputs.calibrationFile, role: .calibration,
                             windows: c.sampleCount, length: c.sequenceLength)
        let needed = (c.sampleCount + extra) * c.sequenceLength
        guard extra > 0, inputs.tokens.count < needed else { return }
        throw PipelineError.textTooShort(
            path: inputs.calibrationFile, role: TextRole.calibration.rawValue, tokens: inputs.tokens.count, needed: needed,
            setting: PipelineError.windows(c.sampleCount, of: c.sequenceLength)
                + " and \(extra) more for the end-to-end pass's \(options.endToEnd.steps) steps (fewer --e2e-steps, or 0, need fewer)")
    }

    /// Windows the end-to-end pass reads besides the calibration windows (block-wise SignRound only).
    static func extraWindows(_ options: QuantizeOptions) -> Int {
        options.scope == .block && options.method == .signround
            ? options.endToEnd.extraWindows(calibration: options.calibration.sampleCount) : 0
    }
}

import Export
import Foundation
import Model
import Quant
import Formats
import TensorCore

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
        var options = options
        if let n = options.ggmlEnergyWindows, PlanApplier.ggmlOnly(formats) { options.calibration.sampleCount = n }
        try checkText(inputs, options: options)
        let (extra, wanted) = endToEndWindows(options, tokens: inputs.tokens.count)
        if extra < wanted {
            progress("end-to-end: \(inputs.calibrationFile) holds \(extra) fresh windows of the \(wanted) the pass's "
                     + "\(options.endToEnd.steps) steps would see; its steps revisit windows")
        }
        let (windows, extraWindows, teacher) = try drawWindows(inputs, extra: extra, options: options, progress: progress)
        let applied = try PlanApplier(model: inputs.model, formats: formats, options: options)
            .run(windows: windows, endToEndWindows: extraWindows, endToEndTeacher: teacher, progress: progress)
        var stats = QuantizeStats(model: inputs.description.path, plan: planFile, options: options,
                                  totalSeconds: Date().timeIntervalSince(start), layers: applied.stats)
        stats.endToEnd = applied.endToEnd
        return Output(applied: applied, stats: stats)
    }

    /// The calibration windows and the end-to-end pass's extra windows, with the original model's final
    /// hidden states on the extra ones when it wrote them. Text windows: the first draws of
    /// `CalibrationWindows.sample` (the same windows whatever else is drawn), calibration windows
    /// first. Generated windows (`EndToEndText`): the end-to-end pass's first, then the
    /// `options.generatedWindows` calibration windows, which follow the text ones.
    static func drawWindows(_ inputs: ProfileInputs, extra: Int, options: QuantizeOptions,
                            progress: @escaping (String) -> Void) throws -> (windows: [[Int]], extra: [[Int]], teacher: Matrix?) {
        let c = options.calibration
        let generatedExtra = options.endToEnd.windows == .generated ? extra : 0
        let generatedCalibration = min(options.generatedWindows, c.sampleCount)
        let textCalibration = c.sampleCount - generatedCalibration
        let text = try CalibrationWindows.sample(tokens: inputs.tokens, count: textCalibration + extra - generatedExtra,
                                                 length: c.sequenceLength, seed: c.seed)
        let windows = Array(text[..<textCalibration]), textExtra = Array(text[textCalibration...])
        guard generatedExtra + generatedCalibration > 0 else { return (windows, textExtra, nil) }
        let sampled = try EndToEndText.generate(inputs, endToEnd: generatedExtra, calibration: generatedCalibration,
                                                options: options, progress: progress)
        let calibration = windows + sampled.tokens[generatedExtra...]
        guard generatedExtra > 0 else { return (calibration, textExtra, nil) }
        let rows = generatedExtra * c.sequenceLength, width = sampled.hidden.cols
        return (calibration, Array(sampled.tokens[..<generatedExtra]),
                Matrix(rows: rows, cols: width, data: Array(sampled.hidden.data[..<(rows * width)])))
    }

    /// The calibration text must hold `options`' windows without overlap (count x length tokens), so
    /// that no recipe trains on repeated text unawares. (The end-to-end pass's fresh windows are
    /// not required: `endToEndWindows` takes as many as the text holds.)
    /// - Throws: `PipelineError.textTooShort` naming the file, its tokens and the tokens needed.
    public static func checkText(_ inputs: ProfileInputs, options: QuantizeOptions) throws {
        let c = options.calibration
        try TextLength.check(inputs.tokens.count, path: inputs.calibrationFile, role: .calibration,
                             windows: c.sampleCount, length: c.sequenceLength)
    }

    /// Fresh windows for the end-to-end pass (block-wise SignRound only): the pass's
    /// `EndToEndOptions.extraWindows`, at most as many as a text of `tokens` tokens holds beside the
    /// calibration windows without overlap (generated windows: all of them). Fewer than wanted means
    /// the steps revisit windows.
    public static func endToEndWindows(_ options: QuantizeOptions, tokens: Int) -> (count: Int, wanted: Int) {
        let c = options.calibration
        guard options.scope == .block && options.method == .signround, c.sequenceLength > 0 else { return (0, 0) }
        let wanted = options.endToEnd.extraWindows(calibration: c.sampleCount)
        if options.endToEnd.windows == .generated { return (wanted, wanted) }
        return (min(wanted, max(0, tokens / c.sequenceLength - c.sampleCount)), wanted)
    }
}

import IO
import Model
import Quant

/// Windows the original model writes itself (`ResidentLlama.sample`): the end-to-end pass's
/// `EndToEndWindows.generated` windows and `QuantizeOptions.generatedWindows` calibration windows.
/// Prompts are drawn from the calibration text; the model's final hidden states on the windows, the
/// end-to-end pass's teacher states, are computed on the way.
enum EndToEndText {
    /// `endToEnd` + `calibration` windows of the calibration windows' length, the end-to-end pass's
    /// first. Prompts are windows of `promptLength` tokens drawn like calibration windows
    /// (`CalibrationWindows.sample`) with seed calibration seed ^ 0xE2E7, in that order; the sampling
    /// uniforms use seed calibration seed ^ 0x5A3F, at the end-to-end pass's temperature.
    /// - Throws: `LlamaError` for a prompt not shorter than the windows or a bad temperature.
    static func generate(_ inputs: ProfileInputs, endToEnd: Int, calibration: Int, options: QuantizeOptions,
                         progress: @escaping (String) -> Void) throws -> SampledWindows {
        let c = options.calibration, e = options.endToEnd, length = c.sequenceLength, count = endToEnd + calibration
        let prompts = try CalibrationWindows.sample(tokens: inputs.tokens, count: count, length: e.promptLength,
                                                    seed: c.seed ^ 0xE2E7)
        let roles = [(endToEnd, "for the end-to-end pass"), (calibration, "calibration")].filter { $0.0 > 0 }
            .map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        progress("the original model writes \(count) windows of \(length) tokens (\(roles)) from \(e.promptLength)-token "
                 + "prompts of \(inputs.calibrationFile) (temperature \(e.temperature))")
        let model = try inputs.model.resident()
        let clock = ProgressClock(), every = max(1, length / 4)
        return try model.sample(prompts: prompts, length: length, temperature: e.temperature, seed: c.seed ^ 0x5A3F) { p in
            guard p % every == 0 else { return }
            progress("generated position \(p)/\(length) | " + clock.elapsedAndETA(fraction: Double(p) / Double(length)))
        }
    }
}

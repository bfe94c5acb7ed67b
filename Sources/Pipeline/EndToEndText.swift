import IO
import Model
import Quant

/// The windows of `EndToEndWindows.generated`: prompts drawn from the calibration text, continued
/// by the original model itself (`ResidentLlama.sample`), with its final hidden states on them, the
/// end-to-end pass's teacher states, computed on the way.
enum EndToEndText {
    /// `count` windows of the calibration windows' length. Prompts are `count` windows of
    /// `promptLength` tokens drawn like calibration windows (`CalibrationWindows.sample`) with seed
    /// calibration seed ^ 0xE2E7; the sampling uniforms use seed calibration seed ^ 0x5A3F.
    /// - Throws: `LlamaError` for a prompt not shorter than the windows or a bad temperature.
    static func generate(_ inputs: ProfileInputs, count: Int, options: QuantizeOptions,
                         progress: @escaping (String) -> Void) throws -> SampledWindows {
        let c = options.calibration, e = options.endToEnd, length = c.sequenceLength
        let prompts = try CalibrationWindows.sample(tokens: inputs.tokens, count: count, length: e.promptLength,
                                                    seed: c.seed ^ 0xE2E7)
        progress("end-to-end: the original model writes \(count) windows of \(length) tokens from \(e.promptLength)-token "
                 + "prompts of \(inputs.calibrationFile) (temperature \(e.temperature))")
        let model = try inputs.model.resident()
        let clock = ProgressClock(), every = max(1, length / 4)
        return try model.sample(prompts: prompts, length: length, temperature: e.temperature, seed: c.seed ^ 0x5A3F) { p in
            guard p % every == 0 else { return }
            progress("end-to-end: generated position \(p)/\(length) | "
                     + clock.elapsedAndETA(fraction: Double(p) / Double(length)))
        }
    }
}

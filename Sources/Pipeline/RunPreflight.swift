import Foundation
import Model
import Quant
import Search
import Sensitivity

/// The checks of `run` that need only the model and the texts, made before the profile stage (which
/// can take minutes) so that a bad text or an impossible budget fails in seconds.
enum RunPreflight {
    /// Tokens of the evaluation text, after checking every text is long enough and the budget is not
    /// below the cheapest plan any profile of these formats could give.
    /// - Throws: `TokenizerError.unreadableText` (names the file), `PipelineError.textTooShort`,
    ///   `SearchError.budgetInfeasible` (with the feasible range).
    static func check(_ options: RunOptions, inputs: ProfileInputs, evaluationPath: String) throws -> [Int] {
        let evalTokens = try EvaluationInputs.tokens(ofTextFile: evaluationPath, tokenizer: inputs.tokenizer)
        let windows = options.evaluationWindows ?? 1
        let evalNeeded = windows * options.evaluationContext
        guard evalTokens.count >= evalNeeded else {
            throw PipelineError.textTooShort(path: evaluationPath, role: "evaluation", tokens: evalTokens.count,
                                             needed: evalNeeded, setting: PipelineError.windows(windows, of: options.evaluationContext))
        }
        let calibrationNeeded = max(options.profiler.sequenceLength, options.quantize.calibration.sequenceLength)
        guard inputs.tokens.count >= calibrationNeeded else {
            throw PipelineError.textTooShort(path: inputs.calibrationFile, role: "calibration", tokens: inputs.tokens.count,
                                             needed: calibrationNeeded, setting: "windows of \(calibrationNeeded) tokens")
        }
        let q = options.quantize.calibration, quantizeNeeded = q.sampleCount * q.sequenceLength
        guard inputs.tokens.count >= quantizeNeeded else {  // the quantize windows, distinct
            throw PipelineError.textTooShort(path: inputs.calibrationFile, role: "calibration", tokens: inputs.tokens.count,
                                             needed: quantizeNeeded, setting: PipelineError.windows(q.sampleCount, of: q.sequenceLength))
        }
        try checkBudget(options, config: inputs.model.config)
        return evalTokens
    }

    /// The cheapest and dearest average bits of the linear layers over the candidate formats (each
    /// layer free, exact bit costs of every shape): a target below the cheapest is impossible whatever
    /// the profile says.
    static func feasibleRange(formats: [QuantFormat], config: ModelConfig, counting: BitCounting) -> ClosedRange<Double> {
        let convention: CostConvention = counting == .storage ? .storage : .autoround
        var low = 0, high = 0, parameters = 0
        for kind in LinearKind.allCases {
            let s = config.linearShape(of: kind)
            let shape = TensorShape(rows: s[0], cols: s[1])
            let costs = formats.map { $0.bitCost(shape: shape, convention: convention).totalBits }
            low += (costs.min() ?? 0) * config.numHiddenLayers
            high += (costs.max() ?? 0) * config.numHiddenLayers
            parameters += shape.count * config.numHiddenLayers
        }
        let n = Double(max(parameters, 1))
        return Double(low) / n...Double(high) / n
    }

    private static func checkBudget(_ options: RunOptions, config: ModelConfig) throws {
        guard options.profiler.layerPattern == nil else { return }  // a pattern profiles only some layers
        let range = feasibleRange(formats: options.profiler.formats, config: config, counting: options.counting)
        guard options.averageBits >= range.lowerBound else {
            throw SearchError.budgetInfeasible(target: options.averageBits, minimum: range.lowerBound,
                                               maximum: range.upperBound,
                                               narrowedBy: "the candidate formats' exact bits on this model's layers")
        }
    }
}

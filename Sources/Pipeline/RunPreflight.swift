import Foundation
import Model
import Formats
import Search
import Sensitivity

/// The checks of `run` that need only the model and the texts, made before the profile stage (which
/// can take minutes) so that a bad text or an impossible budget fails in seconds.
enum RunPreflight {
    /// The evaluation text's tokens, after checking every text is long enough and the budget is not
    /// below the cheapest plan any profile of these formats could give.
    /// - Throws: `TokenizerError.unreadableText` (names the file), `PipelineError.textTooShort`,
    ///   `SearchError.budgetInfeasible` (with the feasible range).
    static func check(_ options: RunOptions, inputs: ProfileInputs) throws -> EvaluationText {
        let config = inputs.model.config
        try TextLength.checkWindow(options.profiler.sequenceLength, option: "--seqlen", config: config)
        try TextLength.checkWindow(options.quantize.calibration.sequenceLength, option: "--seqlen", config: config)
        try TextLength.checkWindow(options.evaluation.context, option: "--ctx", config: config)
        let evaluation = try EvaluationText(options.evaluation, tokenizer: inputs.tokenizer)
        try TextLength.check(inputs.tokens.count, path: inputs.calibrationFile, role: .calibration, windows: nil,
                             length: max(options.profiler.sequenceLength, options.quantize.calibration.sequenceLength))
        try QuantizeStage.checkText(inputs, options: options.quantize)
        try checkBudget(options, config: inputs.model.config)
        return evaluation
    }

    /// The cheapest and dearest average bits of the linear layers over the candidate formats (each
    /// layer free, exact bit costs of every shape): a target below the cheapest is impossible whatever
    /// the profile says.
    static func feasibleRange(formats: [QuantFormat], config: ModelConfig, counting: CostConvention) -> ClosedRange<Double> {
        var low = 0, high = 0, parameters = 0
        for kind in LinearKind.allCases {
            let s = config.linearShape(of: kind)
            let shape = TensorShape(rows: s[0], cols: s[1])
            let costs = formats.map { $0.bitCost(shape: shape, convention: counting).totalBits }
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

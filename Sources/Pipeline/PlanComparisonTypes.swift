import Export
import Foundation
import Model
import Formats
import Quant
import Search

/// The four plans `PlanComparison` compares at each budget.
public enum PlanVariant: String, Codable, Sendable, CaseIterable {
    /// (a) The searched plan (`PlanSearch.run`, as `run` searches it), quantized with SignRound.
    case searchedSignRound = "searched+signround"
    /// (b) The same searched plan, round-to-nearest (SignRound with 0 iterations).
    case searchedRTN = "searched+rtn"
    /// (c) `BaselinePlans.uniform`, quantized with SignRound.
    case uniformSignRound = "uniform+signround"
    /// (d) `BaselinePlans.depthHeuristic`, quantized with SignRound.
    case heuristicSignRound = "depth-heuristic+signround"

    /// Quantizer of the variant.
    public var method: QuantizeMethod { self == .searchedRTN ? .rtnPlain : .signround }
}

/// What `autoscheme-bench compare-plans` compares.
public struct PlanComparisonOptions: Sendable {
    /// Model path, or nil / "default" for the cached SmolLM2-135M-Instruct.
    public var model: String?
    /// Average-bit budgets of the searched layers (storage counting), each never exceeded.
    public var budgets: [Double] = [2.5, 3.0, 3.5, 4.25, 4.5]
    /// Profile file; nil: the profile cached for the model, the calibration text and default profiler settings.
    public var profile: String?
    /// SignRound iterations per layer (variants a, c, d).
    public var iterations = 200
    /// SignRound calibration windows (count, length, seed), sampled from the calibration text as `run` does.
    public var calibration = CalibrationOptions(sampleCount: 32, sequenceLength: 512, seed: 42)
    /// Calibration text; nil: the cached lcet10.txt.
    public var calibrationText: String?
    /// Held-out evaluation text; nil: the cached alice29.txt.
    public var evaluationText: String?
    /// Evaluation windows of `evaluationContext` tokens (the `run` protocol: 16 x 512).
    public var evaluationWindows = 16
    public var evaluationContext = 512
    /// Variants to run at every budget, in table order.
    public var variants: [PlanVariant] = PlanVariant.allCases

    public init(model: String? = nil) { self.model = model }

    /// The evaluate stage's options: the text, `evaluationWindows` windows of `evaluationContext` tokens.
    public var evaluation: EvaluateStageOptions {
        EvaluateStageOptions(text: evaluationText, context: evaluationContext, windows: evaluationWindows)
    }

    /// Checks every value before any work. - Throws: `PipelineError.invalidOption` naming the option.
    public func validate() throws {
        guard !budgets.isEmpty else { throw PipelineError.invalidOption(name: "--budgets", value: "", expected: "at least one budget") }
        for b in budgets where !(b.isFinite && b > 0) {
            throw PipelineError.invalidOption(name: "--budgets", value: "\(b)", expected: "positive finite numbers")
        }
        guard iterations >= 0 else {
            throw PipelineError.invalidOption(name: "--iters", value: "\(iterations)", expected: "an integer >= 0")
        }
        guard evaluationWindows >= 1 else {
            throw PipelineError.invalidOption(name: "--windows", value: "\(evaluationWindows)", expected: "an integer >= 1")
        }
        guard evaluationContext >= 2 else {
            throw PipelineError.invalidOption(name: "--ctx", value: "\(evaluationContext)", expected: "an integer >= 2")
        }
        guard calibration.sampleCount >= 1, calibration.sequenceLength >= 2 else {
            throw PipelineError.invalidOption(name: "--nsamples/--seqlen", value: "\(calibration.sampleCount)/\(calibration.sequenceLength)",
                                              expected: "nsamples >= 1 and seqlen >= 2")
        }
        guard !variants.isEmpty else { throw PipelineError.invalidOption(name: "variants", value: "", expected: "at least one variant") }
    }
}

/// One row of the table: one variant at one budget.
public struct PlanComparisonRow: Codable, Sendable {
    public var budget: Double
    public var variant: PlanVariant
    /// The plan's formats: "FORMAT COUNT, ..." by layer count, most used first.
    public var plan: String
    /// Achieved average bits per weight of the searched layers (storage counting).
    public var achievedBits: Double
    /// The estimator's predicted loss of the plan (sum of scores).
    public var predictedLoss: Double
    /// Perplexity of the quantized model on the evaluation windows.
    public var ppl: Double
    /// Mean KL(original || quantized), nats/token, and top-1 agreement in [0, 1], same windows.
    public var kl: Double
    public var top1Agree: Double
    /// Wall seconds: building the plan (search or rule), quantizing, evaluating (quantized and original forwards).
    public var planSeconds: Double
    public var quantizeSeconds: Double
    public var evaluateSeconds: Double

    enum CodingKeys: String, CodingKey {
        case budget, variant, plan, ppl, kl
        case achievedBits = "achieved_bits", predictedLoss = "predicted_loss", top1Agree = "top1_agree"
        case planSeconds = "plan_seconds", quantizeSeconds = "quantize_seconds", evaluateSeconds = "evaluate_seconds"
    }
}

/// A variant that has no plan at a budget (e.g. no depth-heuristic pair fits), and why.
public struct PlanComparisonSkip: Codable, Sendable {
    public var budget: Double
    public var variant: PlanVariant
    public var reason: String
}

/// The whole comparison: settings, the original's perplexity, rows in budget then variant order.
public struct PlanComparisonResult: Codable, Sendable {
    public var model: String
    public var profile: String
    public var estimator: String
    public var evaluationText: String
    public var evaluationTokens: Int
    public var ctx: Int
    public var windows: Int
    public var iterations: Int
    public var calibrationWindows: Int
    public var originalPPL: Double
    /// Seconds to load the model, texts and profile and to build every plan (shared by all rows).
    public var setupSeconds: Double
    public var rows: [PlanComparisonRow]
    public var skipped: [PlanComparisonSkip]

    enum CodingKeys: String, CodingKey {
        case model, profile, estimator, ctx, windows, iterations, rows, skipped
        case evaluationText = "eval_text", evaluationTokens = "eval_tokens", calibrationWindows = "calibration_windows"
        case originalPPL = "ppl_original", setupSeconds = "setup_seconds"
    }
}

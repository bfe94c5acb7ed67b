import Foundation
import Model

/// A named cost-quality point of the quantize stage (AutoRound's best/default/light/rtn), each a
/// fixed set of options. Options given explicitly override a recipe's values one by one
/// (`RecipeOverrides`). Measured costs and gains: reports/recipes.md.
public enum QuantizeRecipe: String, CaseIterable, Sendable, Codable {
    case best
    case `default`
    case light
    case rtn

    /// The recipe's settings. A block-wise step is one forward and one reverse pass of a block on
    /// batch x seqlen tokens (1024 for best, 512 for default and light). On the 2.5-bit plan restricted
    /// to blocks 0-5, 60 steps of 512 tokens gave 8% lower held-out KL than 30 steps of 1024 for about
    /// the same work (Guides/SignRound.md, Recipes). Every recipe minimizes the normalized block loss:
    /// on the whole 2.5-bit plan with the light recipe it gave 10.6% lower held-out KL than the
    /// plain MSE (1.042 against 1.166), and 4.6% lower than leaving out position 0 (1.093).
    public var settings: RecipeSettings {
        switch self {
        case .best:
            return RecipeSettings(method: .signround, scope: .block, iterations: 100, samples: 64, sequenceLength: 256,
                                  batchSize: 4, start: .weightedRTN, loss: .normalized, stepFactor: 1, normStep: 0,
                                  endToEndSteps: 60, endToEndWindows: .generated, generatedFraction: 0.5)
        case .default:
            return RecipeSettings(method: .signround, scope: .block, iterations: 60, samples: 32, sequenceLength: 256,
                                  batchSize: 2, start: .weightedRTN, loss: .normalized, stepFactor: 1, normStep: 0,
                                  endToEndSteps: 44, endToEndWindows: .generated, generatedFraction: 0.5)
        case .light:
            return RecipeSettings(method: .signround, scope: .block, iterations: 30, samples: 32, sequenceLength: 128,
                                  batchSize: 4, start: .weightedRTN, loss: .normalized, stepFactor: 0.5, normStep: 0)
        case .rtn:
            return RecipeSettings(method: .rtn, scope: .layer, iterations: 0, samples: 32, sequenceLength: 512,
                                  batchSize: 8, start: .weightedRTN, loss: .normalized, stepFactor: 1, normStep: 0)
        }
    }

    /// "best: block-wise SignRound, 100 iterations, 64 x 256 tokens, batch 4, start weighted-rtn, loss normalized" (help and reports).
    public var summary: String {
        let s = settings
        if s.method != .signround { return "\(rawValue): \(s.method.rawValue), \(s.samples) x \(s.sequenceLength) calibration tokens" }
        return "\(rawValue): \(s.scope.rawValue)-wise SignRound, \(s.iterations) iterations, \(s.samples) x \(s.sequenceLength) tokens"
            + (s.scope == .block ? ", batch \(s.batchSize), start \(s.start.rawValue), loss \(s.loss.rawValue)" : "")
            + (s.endToEndSteps > 0 ? ", then \(s.endToEndSteps) end-to-end steps on \(s.endToEndWindows.rawValue) windows" : "")
    }
}

/// The options a recipe sets.
public struct RecipeSettings: Sendable, Equatable {
    public var method: QuantizeMethod
    public var scope: SignRoundScope
    /// SignRound steps per layer (layer scope) or per block (block scope); 0 for round-to-nearest.
    public var iterations: Int
    /// Calibration windows and their length in tokens.
    public var samples: Int
    public var sequenceLength: Int
    /// Calibration windows per block-wise step.
    public var batchSize: Int
    public var start: SignRoundStart
    /// What block-wise steps minimize.
    public var loss: BlockLoss
    /// The initial learning rate times the iterations (lr = stepFactor / iterations, decaying
    /// linearly to 0, so V travels at most stepFactor / 2 in all). AutoRound's is 1. On the 2.5-bit
    /// plan (normalized loss) 0.5 gave the light recipe's 30 steps 6.2% lower held-out KL (0.977
    /// against 1.042; 2 gave 1.298) but the default's 60 steps 1.8% higher (0.968 against 0.951).
    public var stepFactor: Float
    /// Step factor of the blocks' RMSNorm weights, tuned with the SignRound parameters
    /// (`BlockNormStep`; 0: not tuned).
    public var normStep: Float
    /// Steps of the end-to-end pass after block-wise SignRound (`EndToEndTuner`; 0: none), each on
    /// `EndToEndOptions`' default 2 windows at step size 0.002.
    public var endToEndSteps: Int = 0
    /// Where the end-to-end steps' windows come from.
    public var endToEndWindows: EndToEndWindows = .calibrationFirst
    /// The share of the calibration windows the original model writes itself
    /// (`QuantizeOptions.generatedWindows` = samples x this, rounded down).
    public var generatedFraction: Double = 0
}

/// Options given explicitly on the command line (nil: the recipe's value). Each one given wins over
/// the recipe's value; the others are the recipe's.
public struct RecipeOverrides: Sendable, Equatable {
    public var method: QuantizeMethod?
    public var scope: SignRoundScope?
    public var iterations: Int?
    public var samples: Int?
    public var sequenceLength: Int?
    public var batchSize: Int?
    public var learningRate: Float?
    public var start: SignRoundStart?
    public var loss: BlockLoss?
    public var normStep: Float?
    public var keptIteration: BlockKeptIteration?
    public var endToEndSteps: Int?
    public var endToEndLearningRate: Float?
    public var endToEndBatchSize: Int?
    public var endToEndWindows: EndToEndWindows?
    public var endToEndTemperature: Float?
    public var generatedWindows: Int?
    /// Seed of the calibration windows.
    public var seed: UInt64 = 42

    public init() {}

    /// The quantize options of `recipe` with these overrides (the batch capped at the window count).
    /// - Throws: `RecipeError.nonPositiveIterations` when SignRound would run with iterations <= 0.
    public func resolve(_ recipe: QuantizeRecipe) throws -> QuantizeOptions {
        let r = recipe.settings
        var o = QuantizeOptions()
        o.method = method ?? r.method
        let iterations = iterations ?? r.iterations
        if o.method == .signround && iterations <= 0 { throw RecipeError.nonPositiveIterations(iterations) }
        let signRoundIterations = o.method == .signround ? iterations : 0
        o.signRound = SignRoundOptions(iterations: signRoundIterations,
                                       learningRate: learningRate ?? (signRoundIterations > 0 ? r.stepFactor / Float(signRoundIterations) : nil))
        let samples = samples ?? r.samples
        o.calibration = CalibrationOptions(sampleCount: samples, sequenceLength: sequenceLength ?? r.sequenceLength, seed: seed)
        // Without --nsamples, a plan of ggml types only is calibrated on 8 windows (its activation energy).
        o.ggmlEnergyWindows = self.samples == nil ? min(8, samples) : nil
        o.scope = scope ?? r.scope
        o.batchSize = min(batchSize ?? r.batchSize, samples)
        o.signRoundStart = start ?? r.start
        o.blockLoss = loss ?? r.loss
        o.normStep = o.scope == .block ? normStep ?? r.normStep : 0
        o.keptIteration = keptIteration ?? .minibatchBest
        let blockSignRound = o.scope == .block && o.method == .signround
        if let e2e = endToEndSteps, e2e > 0, !blockSignRound { throw RecipeError.endToEndNeedsBlockSignRound(steps: e2e) }
        var e = EndToEndOptions(steps: blockSignRound ? endToEndSteps ?? r.endToEndSteps : 0, windows: r.endToEndWindows)
        if let endToEndLearningRate { e.learningRate = endToEndLearningRate }
        if let endToEndBatchSize { e.batchSize = endToEndBatchSize }
        if let endToEndWindows { e.windows = endToEndWindows }
        if let endToEndTemperature { e.temperature = endToEndTemperature }
        o.endToEnd = e
        let generated = generatedWindows ?? Int(Double(samples) * r.generatedFraction)
        if generated > samples { throw RecipeError.generatedWindowsExceedSamples(generated, samples: samples) }
        o.generatedWindows = generated
        return o
    }
}

/// Recipe options that contradict each other, reported before any work starts.
public enum RecipeError: LocalizedError, Equatable {
    case nonPositiveIterations(Int)
    case endToEndNeedsBlockSignRound(steps: Int)
    case generatedWindowsExceedSamples(Int, samples: Int)

    public var errorDescription: String? {
        switch self {
        case let .generatedWindowsExceedSamples(n, samples):
            return "--generated-windows \(n) exceeds the \(samples) calibration windows (--nsamples)."
        case let .endToEndNeedsBlockSignRound(steps):
            return "--e2e-steps \(steps) needs block-wise SignRound (--scope block, --method signround): the end-to-end pass tunes the scales block-wise SignRound leaves."
        case let .nonPositiveIterations(n):
            return "SignRound needs --iters >= 1, got \(n) (use --method rtn or --recipe rtn for round-to-nearest)."
        }
    }
}

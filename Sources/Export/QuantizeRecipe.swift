import Foundation
import Model
import Quant

/// A named cost-quality point of the quantize stage (AutoRound's best/default/light/rtn), each a
/// fixed set of options. Explicit options override a recipe's values one by one (`RecipeOverrides`).
public enum QuantizeRecipe: String, CaseIterable, Sendable, Codable {
    case best
    case `default`
    case light
    case rtn

    /// The recipe called `name`. - Throws: `RecipeError.unknownRecipe` listing the known names.
    public static func named(_ name: String) throws -> QuantizeRecipe {
        guard let r = QuantizeRecipe(rawValue: name.lowercased()) else { throw RecipeError.unknownRecipe(name: name) }
        return r
    }

    /// The recipe's options (seed 42). Block-wise recipes use 1024 tokens per step (batch x seqlen), about
    /// 0.25 s per step on the default model on 2 quiet cores (Guides/SignRound.md), so 30 blocks take
    /// about 30 x iterations x 0.25 s plus the calibration forwards and the weighted-RTN start:
    /// best ~800 s, default ~280 s, light ~150 s, rtn ~40 s (estimates, see the guide's Recipes).
    public var settings: RecipeSettings {
        switch self {
        case .best:
            return RecipeSettings(method: .signround, scope: .block, iterations: 100, samples: 64, sequenceLength: 256,
                                  batchSize: 4, optimizer: .signSGD, start: .weightedRTN)
        case .default:
            return RecipeSettings(method: .signround, scope: .block, iterations: 30, samples: 32, sequenceLength: 256,
                                  batchSize: 4, optimizer: .signSGD, start: .weightedRTN)
        case .light:
            return RecipeSettings(method: .signround, scope: .block, iterations: 16, samples: 32, sequenceLength: 128,
                                  batchSize: 8, optimizer: .signSGD, start: .weightedRTN)
        case .rtn:
            return RecipeSettings(method: .rtn, scope: .layer, iterations: 0, samples: 32, sequenceLength: 512,
                                  batchSize: 8, optimizer: .signSGD, start: .weightedRTN)
        }
    }

    /// "best: block-wise SignRound, 100 iterations, 64 x 256 tokens, batch 4" (for --help and reports).
    public var summary: String {
        let s = settings
        if s.method != .signround { return "\(rawValue): \(s.method.rawValue), \(s.samples) x \(s.sequenceLength) calibration tokens" }
        return "\(rawValue): \(s.scope.rawValue)-wise SignRound, \(s.iterations) iterations, \(s.samples) x \(s.sequenceLength) tokens"
            + (s.scope == .block ? ", batch \(s.batchSize), \(s.optimizer.rawValue), start \(s.start.rawValue)" : "")
    }
}

/// The options a recipe sets.
public struct RecipeSettings: Sendable, Equatable {
    public var method: QuantizeMethod
    public var scope: SignRoundScope
    public var iterations: Int
    public var samples: Int
    public var sequenceLength: Int
    public var batchSize: Int
    public var optimizer: SignRoundOptimizer
    public var start: SignRoundStart
}

/// Options given explicitly on the command line (nil: the recipe's value). Each one given wins over
/// the recipe's value.
public struct RecipeOverrides: Sendable, Equatable {
    public var method: QuantizeMethod?
    public var scope: SignRoundScope?
    public var iterations: Int?
    public var samples: Int?
    public var sequenceLength: Int?
    public var batchSize: Int?
    public var learningRate: Float?
    public var optimizer: SignRoundOptimizer?
    public var start: SignRoundStart?
    public var seed: UInt64 = 42

    public init() {}

    /// The quantize options of `recipe` with these overrides.
    /// - Throws: `RecipeError.nonPositiveIterations` when SignRound would run with iterations <= 0.
    public func resolve(_ recipe: QuantizeRecipe) throws -> QuantizeOptions {
        let r = recipe.settings
        var o = QuantizeOptions()
        o.method = method ?? r.method
        let iterations = iterations ?? r.iterations
        if o.method == .signround && iterations <= 0 { throw RecipeError.nonPositiveIterations(iterations) }
        o.signRound = SignRoundOptions(iterations: o.method == .signround ? iterations : 0, learningRate: learningRate)
        let samples = samples ?? r.samples
        o.calibration = CalibrationOptions(sampleCount: samples, sequenceLength: sequenceLength ?? r.sequenceLength, seed: seed)
        o.scope = scope ?? r.scope
        o.batchSize = min(batchSize ?? r.batchSize, samples)
        o.optimizer = optimizer ?? r.optimizer
        o.signRoundStart = start ?? r.start
        return o
    }
}

/// Bad recipe input, reported before any work starts.
public enum RecipeError: LocalizedError, Equatable {
    case unknownRecipe(name: String)
    case nonPositiveIterations(Int)
    /// The calibration text has fewer tokens than `samples` x `length` (distinct windows).
    case calibrationTooShort(path: String, tokens: Int, samples: Int, length: Int)

    public var errorDescription: String? {
        switch self {
        case let .unknownRecipe(name):
            return "Unknown recipe '\(name)'; known recipes: \(QuantizeRecipe.allCases.map(\.rawValue).joined(separator: ", "))."
        case let .nonPositiveIterations(n):
            return "SignRound needs --iters >= 1, got \(n) (use --method rtn or --recipe rtn for round-to-nearest)."
        case let .calibrationTooShort(path, tokens, samples, length):
            return "The calibration text '\(path)' has \(tokens) tokens, fewer than the \(samples * length) needed for \(samples) windows of \(length) tokens."
        }
    }

    /// Checks that `tokens` calibration tokens hold `options`' windows without overlap.
    /// - Throws: `RecipeError.calibrationTooShort`.
    public static func checkCalibration(tokens: Int, path: String, options: QuantizeOptions) throws {
        let c = options.calibration
        guard tokens >= c.sampleCount * c.sequenceLength else {
            throw RecipeError.calibrationTooShort(path: path, tokens: tokens, samples: c.sampleCount, length: c.sequenceLength)
        }
    }
}

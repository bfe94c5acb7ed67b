import Foundation
import Formats
import IO

/// How layers are quantized.
public enum QuantizeMethod: String, Codable, Sendable, CaseIterable {
    /// SignRound (learned rounding offsets and clipping) for int/MXFP4/NVFP4, nearest for fp8/bf16.
    case signround
    /// Round to nearest with importance-weighted scales: per group, the clips that minimise the
    /// input-energy-weighted error (`ImportanceWeightedRTN`); nearest for fp8/bf16.
    case rtn
    /// Plain round to nearest (min/max scales) for every layer.
    case rtnPlain = "rtn-plain"
}

/// One layer's result in `quantize-stats.json`. Errors are the layer objective
/// ||Xq Q^T - X W^T||^2 / tokens (squared output per token, on the calibration inputs).
public struct LayerQuantizeStats: Codable, Sendable, Equatable {
    /// Hugging Face module name, e.g. `model.layers.3.mlp.down_proj`.
    public var name: String
    /// Canonical format name.
    public var format: String
    /// Objective of round-to-nearest.
    public var rtnError: Double
    /// Objective of the kept parameters (equal to `rtnError` for `rtn` and untuned formats).
    public var signRoundError: Double
    /// Iteration kept (0 = round-to-nearest).
    public var bestIteration: Int
    /// Iterations run (0 when the layer was only rounded).
    public var iterations: Int
    /// Wall time, seconds.
    public var seconds: Double
    /// Process CPU time (all threads), seconds.
    public var cpuSeconds: Double
    /// sgemm work of the step loop, GFLOP (the sgemm-equivalent when group partial products did less).
    public var gflop: Double
    /// Mean partial-product row updates per step (codes that differ from those of two steps back, see
    /// `SignRoundGroupProducts`) when the step loop used group partial products, else nil.
    public var rowUpdatesPerStep: Double?

    enum CodingKeys: String, CodingKey {
        case name, format, iterations, seconds, gflop
        case cpuSeconds = "cpu_seconds"
        case rtnError = "rtn_error"
        case signRoundError = "signround_error"
        case bestIteration = "best_iteration"
        case rowUpdatesPerStep = "row_updates_per_step"
    }
}

/// What the end-to-end pass ran and how its loss moved.
public struct EndToEndStats: Codable, Sendable, Equatable {
    public var steps: Int
    public var learningRate: Float
    public var batchSize: Int
    public var windows: EndToEndWindows
    /// Mean KL(original || quantized) in nats per token on the first and on the last step's windows
    /// (before each step's update; different windows, so a noisy trend, not a held-out figure).
    public var firstKL: Double
    public var lastKL: Double
    /// Group scales tuned (int layers) and wall seconds of the pass.
    public var scales: Int
    public var seconds: Double

    public init(steps: Int, learningRate: Float, batchSize: Int, windows: EndToEndWindows, firstKL: Double,
                lastKL: Double, scales: Int, seconds: Double) {
        self.steps = steps
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.windows = windows
        self.firstKL = firstKL
        self.lastKL = lastKL
        self.scales = scales
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case steps, windows, scales, seconds
        case learningRate = "learning_rate"
        case batchSize = "batch_size"
        case firstKL = "first_kl"
        case lastKL = "last_kl"
    }
}

/// `quantize-stats.json`: what was run and each layer's statistics.
public struct QuantizeStats: Codable, Sendable, Equatable {
    public static let currentSchema = "autoscheme.quantize-stats/2"
    /// The file's name beside a written checkpoint.
    public static let fileName = "quantize-stats.json"
    public var schema: String = currentSchema
    public var model: String
    public var plan: String?
    public var method: QuantizeMethod
    public var iterations: Int
    public var learningRate: Float
    public var quantizedInput: Bool
    public var samples: Int
    public var sequenceLength: Int
    public var seed: UInt64
    public var totalSeconds: Double
    public var layers: [LayerQuantizeStats]
    /// SignRound's scope (nil in files written before block-wise SignRound: layer).
    public var scope: SignRoundScope?
    /// Samples per block-wise step (block scope only).
    public var batchSize: Int?
    /// Calibration windows the original model wrote (of `samples`; nil when none).
    public var generatedWindows: Int?
    /// The end-to-end pass after block-wise SignRound, when it ran.
    public var endToEnd: EndToEndStats?

    public init(model: String, plan: String?, method: QuantizeMethod, iterations: Int, learningRate: Float,
                quantizedInput: Bool, samples: Int, sequenceLength: Int, seed: UInt64, totalSeconds: Double,
                layers: [LayerQuantizeStats]) {
        self.model = model
        self.plan = plan
        self.method = method
        self.iterations = iterations
        self.learningRate = learningRate
        self.quantizedInput = quantizedInput
        self.samples = samples
        self.sequenceLength = sequenceLength
        self.seed = seed
        self.totalSeconds = totalSeconds
        self.layers = layers
    }

    /// The statistics of a run of `PlanApplier` with `options` (block scope always tunes on quantized
    /// inputs and records its batch size).
    public init(model: String, plan: String?, options: QuantizeOptions, totalSeconds: Double, layers: [LayerQuantizeStats]) {
        self.init(model: model, plan: plan, method: options.method, iterations: options.signRound.iterations,
                  learningRate: options.signRound.effectiveLearningRate,
                  quantizedInput: options.quantizedInput || options.scope == .block,
                  samples: options.calibration.sampleCount, sequenceLength: options.calibration.sequenceLength,
                  seed: options.calibration.seed, totalSeconds: totalSeconds, layers: layers)
        scope = options.scope
        batchSize = options.scope == .block ? min(options.batchSize, options.calibration.sampleCount) : nil
        generatedWindows = options.generatedWindows > 0 ? options.generatedWindows : nil
    }

    enum CodingKeys: String, CodingKey {
        case schema, model, plan, method, iterations, seed, layers
        case learningRate = "learning_rate"
        case quantizedInput = "quantized_input"
        case samples
        case sequenceLength = "sequence_length"
        case totalSeconds = "total_seconds"
        case scope
        case batchSize = "batch_size"
        case generatedWindows = "generated_windows"
        case endToEnd = "end_to_end"
    }

    /// Fraction of tuned layers whose SignRound error is below the RTN error.
    public var fractionImproved: Double {
        let tuned = layers.filter { $0.iterations > 0 }
        guard !tuned.isEmpty else { return 0 }
        return Double(tuned.filter { $0.signRoundError < $0.rtnError }.count) / Double(tuned.count)
    }

    /// Pretty JSON with sorted keys.
    public func encoded() throws -> Data {
        try JSONPolicy.encode(self)
    }
}

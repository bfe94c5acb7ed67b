import Formats
import Model

/// A sensitivity profile: for every searched linear layer of one model, the predicted loss increase
/// and the exact bit cost of every candidate format. Written by the profiler, read by the search.
///
/// JSON layout (`"schema": "autoscheme.profile/1"`) is documented in Guides/ProfileSchema.md.
/// Keys are snake_case; formats are their canonical names (`QuantFormat`, strict when decoding).
public struct SensitivityProfile: Codable, Sendable, Equatable {
    /// The schema tag this version of the code writes and reads.
    public static let currentSchema = "autoscheme.profile/1"

    /// Always `currentSchema` in files this code writes.
    public var schema: String
    /// Which model was profiled.
    public var model: ModelIdentity
    /// The calibration data and settings the scores were measured with.
    public var calibration: CalibrationSettings
    /// Name of the estimator that produced the scores (e.g. `kl-first-order`, `measured-kl`).
    public var estimator: String
    /// Candidate formats, in the order the profiler tried them.
    public var formats: [QuantFormat]
    /// The searched layers, in model order.
    public var layers: [ProfileLayer]
    /// Optional agreement of estimators with measured loss.
    public var validation: [EstimatorValidation]?
    /// Optional wall-clock times of the profiler's stages.
    public var timings: [StageTiming]?
    /// Optional: how the scores were measured (units, KL probes, held-out validation windows).
    /// Absent in files written before it existed.
    public var profiler: ProfilerSettings?

    public init(model: ModelIdentity, calibration: CalibrationSettings, estimator: String,
                formats: [QuantFormat], layers: [ProfileLayer],
                validation: [EstimatorValidation]? = nil, timings: [StageTiming]? = nil,
                profiler: ProfilerSettings? = nil) {
        self.schema = Self.currentSchema
        self.model = model
        self.calibration = calibration
        self.estimator = estimator
        self.formats = formats
        self.layers = layers
        self.validation = validation
        self.timings = timings
        self.profiler = profiler
    }
}

/// Which model a profile belongs to.
public struct ModelIdentity: Codable, Sendable, Equatable {
    /// Path of the model file or directory as given to the profiler.
    public var path: String
    /// Architecture name (`llama`, `qwen2`, ...).
    public var architecture: String
    /// Hex digest of the model configuration and tensor index (names, shapes, storage types), so a
    /// profile can be matched to its model without reading weights.
    public var fingerprint: String
    /// Parameters of the whole model (searched layers plus fixed tensors).
    public var totalParameters: Int
    /// Tensors the search does not touch (embeddings, norms, LM head), at their stored precision.
    public var fixedTensors: [FixedTensor]

    enum CodingKeys: String, CodingKey {
        case path, architecture, fingerprint
        case totalParameters = "total_parameters"
        case fixedTensors = "fixed_tensors"
    }

    public init(path: String, architecture: String, fingerprint: String, totalParameters: Int,
                fixedTensors: [FixedTensor]) {
        self.path = path
        self.architecture = architecture
        self.fingerprint = fingerprint
        self.totalParameters = totalParameters
        self.fixedTensors = fixedTensors
    }
}

/// A tensor kept at its stored precision (not searched), so whole-model bits can be reported.
public struct FixedTensor: Codable, Sendable, Equatable {
    /// Hugging Face name.
    public var name: String
    /// Number of elements.
    public var parameters: Int
    /// Total stored bits of the tensor (e.g. 16 x parameters for bf16; 8.5 x parameters for Q8_0).
    public var bits: Int

    public init(name: String, parameters: Int, bits: Int) {
        self.name = name
        self.parameters = parameters
        self.bits = bits
    }
}

/// The calibration data and settings behind a profile.
public struct CalibrationSettings: Codable, Sendable, Equatable {
    /// Calibration text file as given.
    public var file: String
    /// Hex sha256 of the file's bytes.
    public var sha256: String
    /// Number of calibration sequences.
    public var samples: Int
    /// Tokens per sequence.
    public var sequenceLength: Int
    /// Seed of every random choice (sample selection).
    public var seed: UInt64
    /// Tokens actually used (samples x sequenceLength unless the text was shorter).
    public var tokens: Int

    enum CodingKeys: String, CodingKey {
        case file, sha256, seed, tokens
        case samples = "nsamples"
        case sequenceLength = "seqlen"
    }

    public init(file: String, sha256: String, samples: Int, sequenceLength: Int, seed: UInt64, tokens: Int) {
        self.file = file
        self.sha256 = sha256
        self.samples = samples
        self.sequenceLength = sequenceLength
        self.seed = seed
        self.tokens = tokens
    }
}

/// One searched linear layer and its cost/score per candidate format.
public struct ProfileLayer: Codable, Sendable, Equatable {
    /// Hugging Face weight name, e.g. `model.layers.3.self_attn.q_proj.weight`.
    public var name: String
    /// Transformer block index (0-based); nil for layers outside the blocks.
    public var block: Int?
    /// Role inside the block; nil (written `other`) for weights that are none of a block's linear layers.
    @ProfileLayerKind public var kind: LinearKind?
    /// Weight shape [out, in].
    public var shape: [Int]
    /// Number of weights (out x in).
    public var parameters: Int
    /// Fused-sibling group: layers a runtime fuses into one kernel (q/k/v; gate/up) share an id.
    public var fusedGroup: String?
    /// One entry per candidate format the profiler measured for this layer.
    public var candidates: [FormatCandidate]
    /// Optional: the KL probe that calibrated this layer's gain (estimator `calibrated`).
    public var probe: LayerProbe?
    /// Optional: every probe of this layer when `calibrated` used more than one (the first is `probe`).
    public var probes: [LayerProbe]?

    enum CodingKeys: String, CodingKey {
        case name, block, kind, shape, parameters, candidates, probe, probes
        case fusedGroup = "fused_group"
    }

    public init(name: String, block: Int?, kind: LinearKind?, shape: [Int], parameters: Int,
                fusedGroup: String?, candidates: [FormatCandidate], probe: LayerProbe? = nil,
                probes: [LayerProbe]? = nil) {
        self.name = name
        self.block = block
        self.kind = kind
        self.shape = shape
        self.parameters = parameters
        self.fusedGroup = fusedGroup
        self.candidates = candidates
        self.probe = probe
        self.probes = probes
    }

    /// The weight's shape (rows = outputs, cols = inputs) from `shape` [out, in]; 0 x 0 if malformed.
    public var tensorShape: TensorShape {
        shape.count == 2 && shape[0] >= 0 && shape[1] >= 0 ? TensorShape(rows: shape[0], cols: shape[1]) : TensorShape(rows: 0, cols: 0)
    }

    /// The candidate entry for a format, if measured.
    public func candidate(_ format: QuantFormat) -> FormatCandidate? {
        candidates.first { $0.format == format }
    }
}

/// A layer's score and bit cost in one format.
public struct FormatCandidate: Codable, Sendable, Equatable {
    public var format: QuantFormat
    /// Predicted increase of the loss, in nats per token (>= 0), when only this layer takes this format.
    public var score: Double
    /// Exact bits of the whole layer in this format, under both counting conventions.
    public var bits: LayerBits
    /// Set when the quantizer could not apply the format as named (e.g. a shape not divisible by
    /// the group) and used a fallback; says what it did.
    public var fallback: String?
    /// Optional: the score of every estimator the profiler computed, keyed by estimator name
    /// (`output-error`, `calibrated`, `kl`); `score` equals the entry of the profile's estimator.
    public var estimates: [String: Double]?

    public init(format: QuantFormat, score: Double, bits: LayerBits, fallback: String? = nil,
                estimates: [String: Double]? = nil) {
        self.format = format
        self.score = score
        self.bits = bits
        self.fallback = fallback
        self.estimates = estimates
    }
}

/// How well one estimator's predictions agree with measured loss.
public struct EstimatorValidation: Codable, Sendable, Equatable {
    public var estimator: String
    /// Spearman rank correlation of predicted vs measured.
    public var spearman: Double
    /// Pearson correlation of predicted vs measured.
    public var pearson: Double
    /// The compared points.
    public var points: [ValidationPoint]

    public init(estimator: String, spearman: Double, pearson: Double, points: [ValidationPoint]) {
        self.estimator = estimator
        self.spearman = spearman
        self.pearson = pearson
        self.points = points
    }
}

/// One (layer, format) or whole-plan point: predicted vs measured KL divergence in nats/token.
public struct ValidationPoint: Codable, Sendable, Equatable {
    /// Layer name, or nil for a whole-plan point.
    public var layer: String?
    public var format: QuantFormat?
    public var predicted: Double
    public var measured: Double
    /// Optional: average bits per weight of a whole-plan point (storage convention, searched layers).
    public var averageBits: Double?

    enum CodingKeys: String, CodingKey {
        case layer, format, predicted, measured
        case averageBits = "average_bits"
    }

    public init(layer: String?, format: QuantFormat?, predicted: Double, measured: Double,
                averageBits: Double? = nil) {
        self.layer = layer
        self.format = format
        self.predicted = predicted
        self.measured = measured
        self.averageBits = averageBits
    }
}

/// Wall-clock time of one profiler stage, in seconds.
public struct StageTiming: Codable, Sendable, Equatable {
    public var stage: String
    public var seconds: Double

    public init(stage: String, seconds: Double) {
        self.stage = stage
        self.seconds = seconds
    }
}

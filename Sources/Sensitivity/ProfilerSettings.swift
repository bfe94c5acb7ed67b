import Formats
/// How a profile's scores were measured: their unit, the KL probes and the held-out validation.
/// Stored under the optional top-level key `profiler`.
public struct ProfilerSettings: Codable, Sendable, Equatable {
    /// Unit of `score`: `nats/token` (model loss, sums over layers compare), or the estimator's name
    /// when its scores are not nats (`output-error`: tr(dW H dW^T) / tokens in squared activation
    /// units; `delta-loss`, `fisher`: gradient scores for ranking).
    public var scoreUnit: String
    /// Windows the KL probes ran on (a prefix of the calibration windows) and their length.
    public var probeWindows: Int
    public var probeLength: Int
    /// The (first) format whose round-to-nearest error calibrates each layer's gain.
    public var probeFormat: QuantFormat
    /// Every probe format, when more than one (optional; absent in single-probe profiles).
    public var probeFormats: [QuantFormat]?
    /// Held-out windows (never scored) the validation plans were measured on, and their length.
    public var validationWindows: Int
    public var validationLength: Int
    /// Token offsets of the calibration and held-out windows in the tokenized text.
    public var calibrationStarts: [Int]
    public var heldOutStarts: [Int]
    /// Facts a reader should know, e.g. formats the model's stored grid reproduces exactly.
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case notes
        case scoreUnit = "score_unit"
        case probeWindows = "probe_windows"
        case probeLength = "probe_length"
        case probeFormat = "probe_format"
        case probeFormats = "probe_formats"
        case validationWindows = "validation_windows"
        case validationLength = "validation_length"
        case calibrationStarts = "calibration_starts"
        case heldOutStarts = "held_out_starts"
    }

    public init(scoreUnit: String, probeWindows: Int, probeLength: Int, probeFormat: QuantFormat,
                validationWindows: Int, validationLength: Int, calibrationStarts: [Int], heldOutStarts: [Int],
                notes: [String], probeFormats: [QuantFormat]? = nil) {
        self.scoreUnit = scoreUnit
        self.probeWindows = probeWindows
        self.probeLength = probeLength
        self.probeFormat = probeFormat
        self.probeFormats = probeFormats
        self.validationWindows = validationWindows
        self.validationLength = validationLength
        self.calibrationStarts = calibrationStarts
        self.heldOutStarts = heldOutStarts
        self.notes = notes
    }
}

/// The KL probe of one layer: the probe format's error (at `site`), the KL it caused at the model
/// output, and the gain a = kl / output_error that turns that error into nats per token.
public struct LayerProbe: Codable, Sendable, Equatable {
    /// The probe's format (optional; absent in single-probe profiles).
    public var format: QuantFormat?
    /// The probe's error where `site` says: tr(dW H dW^T) / tokens of the layer's output, or the mean
    /// squared change of the block's output on the probe tokens. Squared activations per token.
    public var outputError: Double
    /// Mean KL(original || probed) over the probe tokens, nats per token.
    public var kl: Double
    /// kl / outputError (0 when the probe format reproduces the layer exactly).
    public var gain: Double
    /// Where `outputError` is measured (optional; absent in profiles of `calibrated` revision 2 and
    /// older, which always used the layer's output).
    public var site: ErrorSite?

    enum CodingKeys: String, CodingKey {
        case kl, gain, format
        case outputError = "output_error"
        case site = "error_site"
    }

    public init(format: QuantFormat? = nil, outputError: Double, kl: Double, gain: Double, site: ErrorSite? = nil) {
        self.format = format
        self.outputError = outputError
        self.kl = kl
        self.gain = gain
        self.site = site
    }
}

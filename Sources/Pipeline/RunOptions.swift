import Export
import Model
import Formats
import Quant
import Search
import Sensitivity

/// What `autoscheme run` does: one call from a model to its quantized, evaluated and reported form.
public struct RunOptions: Sendable {
    /// Model path, or nil / "default" for the cached SmolLM2-135M-Instruct.
    public var model: String?
    /// Target average bits per weight of the searched layers (never exceeded).
    public var averageBits: Double
    /// Candidate formats of the profile and the search.
    public var formats: [QuantFormat] = QuantFormat.defaultCandidates
    /// Calibration text; nil: the cached lcet10.txt.
    public var calibrationText: String?
    /// Held-out evaluation text; nil: the cached alice29.txt.
    public var evaluationText: String?
    /// Profiler settings (estimator, calibration windows, probes, validation).
    public var profiler: ProfilerOptions
    /// Bit counting convention of the budget.
    public var counting: CostConvention = .storage
    /// Quantizer settings (SignRound or RTN, iterations, calibration windows, quantized input).
    public var quantize = QuantizeOptions()
    /// Checkpoint written into `OUTDIR/model`.
    public var checkpoint: CheckpointFormat = .autoRound
    /// Evaluation context length and number of windows of the evaluation text (nil: all).
    public var evaluationContext = 512
    public var evaluationWindows: Int? = 16
    /// Output folder; written as a temporary sibling and renamed into place at the end.
    public var output: String
    /// Replace a non-empty output folder.
    public var overwrite = false
    /// Reuse (and store) profiles in the cache folder keyed by model, text and profiler settings.
    public var reuseProfile = true

    public init(model: String?, averageBits: Double, output: String, profiler: ProfilerOptions = ProfilerOptions()) {
        self.model = model
        self.averageBits = averageBits
        self.output = output
        self.profiler = profiler
    }
}


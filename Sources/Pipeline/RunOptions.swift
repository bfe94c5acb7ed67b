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
    /// Profiler settings (estimator, calibration windows, probes, validation).
    public var profiler: ProfilerOptions
    /// Bit counting convention of the budget.
    public var counting: CostConvention = .storage
    /// The runtime the plan is for: the profile adds its fallback formats, the search offers only what
    /// it loads (`DeploymentTarget`). `any` (the library default) constrains nothing.
    public var target: DeploymentTarget = .any
    /// Quantize stage: SignRound or RTN, iterations, calibration windows, quantized input (as `quantize`).
    public var quantize = QuantizeOptions()
    /// Export stage: the checkpoint written into `OUTDIR/model` (as `quantize`).
    public var checkpoint = CheckpointOptions()
    /// Evaluate stage: the held-out text (nil: the cached alice29.txt), context length, windows (nil: all).
    public var evaluation = EvaluateStageOptions()
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


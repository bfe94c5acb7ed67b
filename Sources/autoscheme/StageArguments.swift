import ArgumentParser
import CLISupport
import Export
import Model
import Pipeline
import Quant
import Sensitivity
import Formats
import Search

// Option groups shared by the single-stage commands and `run`: one declaration per option, so that
// names, defaults, help and checks cannot drift apart.

/// The calibration text and the windows drawn from it (`quantize`, and `run`, which also profiles on them).
/// Window count and length default to the recipe's for the quantize stage and to 32 x 512 for `run`'s profile.
struct CalibrationArguments: ParsableArguments {
    @Option(help: "Calibration text (default: the cached lcet10.txt).") var calib: String?
    @Option(parsing: .unconditional, help: "Calibration windows (default: the recipe's; 32 for run's profile).") var nsamples: Int?
    @Option(parsing: .unconditional, help: "Tokens per calibration window (default: the recipe's; 512 for run's profile).") var seqlen: Int?
    @Option(help: "Seed of the calibration windows and every other random choice.") var seed: UInt64 = 42

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["--calib": calib])
        if let nsamples, nsamples <= 0 { throw ValidationError("--nsamples must be > 0, got \(nsamples)") }
        if let seqlen, seqlen <= 1 { throw ValidationError("--seqlen must be > 1, got \(seqlen)") }
        if let nsamples { try OptionBounds.check(nsamples, "--nsamples", in: 1...OptionBounds.maximumWindows) }
        if let seqlen { try OptionBounds.check(seqlen, "--seqlen", in: 2...OptionBounds.maximumWindowLength) }
        try OptionBounds.tokens(windows: nsamples ?? 32, "--nsamples", length: seqlen ?? 512, "--seqlen")
    }

    /// The profile's windows (`run`): 32 x 512 unless given.
    var profileOptions: CalibrationOptions {
        CalibrationOptions(sampleCount: nsamples ?? 32, sequenceLength: seqlen ?? 512, seed: seed)
    }
}

/// The quantizer's settings (`quantize` and `run`): a recipe and the options that override it.
struct QuantizeArguments: ParsableArguments {
    @Option(help: "Named option set: \(QuantizeRecipe.allCases.map(\.summary).joined(separator: "; ")). Every quantize option given explicitly overrides the recipe's value.")
    var recipe: QuantizeRecipe = .default
    @Option(help: "Quantizer: signround, rtn (importance-weighted scales) or rtn-plain (min/max scales) (default: the recipe's).")
    var method: QuantizeMethod?
    @Option(parsing: .unconditional, help: "SignRound iterations per layer, or per block with --scope block (default: the recipe's).") var iters: Int?
    @Option(parsing: .unconditional, help: "Initial learning rate, decaying linearly to 0 (default: the recipe's: 0.5 / iters for light, 1 / iters for the others).") var lr: Float?
    @Option(help: "SignRound scope: layer (each layer on its output error) or block (all layers of a block on the block output MSE, minibatches, quantized inputs; see Guides/SignRound.md) (default: the recipe's).")
    var scope: SignRoundScope?
    @Option(parsing: .unconditional, help: "Calibration windows per block-wise step (default: the recipe's).") var batchSize: Int?
    @Option(help: "Where block-wise SignRound's clips start: weighted-rtn (importance-weighted RTN's scales) or rtn (alpha = beta = 1) (default: the recipe's).")
    var start: SignRoundStart?
    @Option(help: "What block-wise SignRound minimizes: mse (mean squared block output error, AutoRound's) or normalized (each token's error divided by its target's mean square: the error the next RMSNorm sees) (default: the recipe's).")
    var blockLoss: BlockLoss?
    @Option(parsing: .unconditional, help: "Block scope: also tune each block's two RMSNorm weights with a signed step; each weight travels at most about half this fraction of its value (0: keep the norms) (default: the recipe's).")
    var normStep: Float?
    @Option(help: "Block scope: the parameters kept, minibatch-best (the iteration with the lowest minibatch loss, AutoRound's), last (after the last step) or average (the mean over the second half of the steps).")
    var keptIteration: BlockKeptIteration?
    @Option(parsing: .unconditional, help: "Block scope: Adam steps of the end-to-end pass after block-wise SignRound, which tunes the int layers' group scales on the KL to the original model's next-token distributions (0: off) (default: the recipe's).")
    var e2eSteps: Int?
    @Option(parsing: .unconditional, help: "Adam step size of the end-to-end pass on the log-scales (default 0.002).") var e2eLr: Float?
    @Option(parsing: .unconditional, help: "Calibration windows per end-to-end step (default 2).") var e2eBatch: Int?
    @Option(help: "The end-to-end pass's windows: calibration-first (block-wise SignRound's, then fresh ones of the text), fresh (only windows block-wise SignRound never saw) or generated (block-wise SignRound's, then windows the original model writes from 16-token prompts of the text) (default: the recipe's).")
    var e2eWindows: EndToEndWindows?
    @Option(parsing: .unconditional, help: "Sampling temperature of --e2e-windows generated (default 0.8).") var e2eTemperature: Float?
    @Option(parsing: .unconditional, help: "Calibration windows the original model writes itself from 16-token prompts of the calibration text, at the end-to-end temperature; the others are windows of the text (default: the recipe's, half the windows for default and best).")
    var generatedWindows: Int?
    @Flag(inversion: .prefixedNo, help: "Calibrate each block on the outputs of the already quantized blocks (layer scope; block scope always does).")
    var quantizedInput = false
    @Option(parsing: .unconditional, help: "Positions at the start of every calibration window left out of the layer objectives or the block loss (the attention-sink token).")
    var skipPositions = 0

    func validate() throws {
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be >= 1, got \(batchSize)") }
        if let iters, iters < 0 { throw ValidationError("--iters must be >= 0, got \(iters)") }
        if let iters { try OptionBounds.check(iters, "--iters", in: 0...OptionBounds.maximumIterations) }
        if let batchSize { try OptionBounds.check(batchSize, "--batch-size", in: 1...OptionBounds.maximumWindows) }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive, got \(lr)") }
        if let e2eSteps { try OptionBounds.check(e2eSteps, "--e2e-steps", in: 0...OptionBounds.maximumIterations) }
        if let e2eBatch { try OptionBounds.check(e2eBatch, "--e2e-batch", in: 1...OptionBounds.maximumWindows) }
        if let e2eLr, !(e2eLr > 0 && e2eLr <= 1) { throw ValidationError("--e2e-lr must be in (0, 1], got \(e2eLr)") }
        if let generatedWindows { try OptionBounds.check(generatedWindows, "--generated-windows", in: 0...OptionBounds.maximumWindows) }
        if let e2eTemperature, !(e2eTemperature >= 0 && e2eTemperature <= 10) {
            throw ValidationError("--e2e-temperature must be in 0...10, got \(e2eTemperature)")
        }
        if let normStep, !(normStep >= 0 && normStep <= 2) { throw ValidationError("--norm-step must be in 0...2, got \(normStep)") }
    }

    /// The checks that need the resolved recipe: SignRound's iterations and the windows' length.
    func validate(calibration: CalibrationArguments) throws {
        let options: QuantizeOptions
        do { options = try self.options(calibration: calibration) } catch let e as RecipeError {
            throw ValidationError(e.errorDescription ?? "\(e)")
        }
        let seqlen = options.calibration.sequenceLength
        guard skipPositions >= 0, skipPositions < seqlen else {
            throw ValidationError("--skip-positions must be in 0..<\(seqlen) (the windows' length), got \(skipPositions)")
        }
    }

    /// The quantize stage's options: the recipe's, with every option given explicitly (including
    /// `calibration`'s window count and length) instead of its value.
    /// - Throws: `RecipeError.nonPositiveIterations` for SignRound with --iters 0.
    func options(calibration: CalibrationArguments) throws -> QuantizeOptions {
        var o = RecipeOverrides()
        o.method = method; o.scope = scope; o.iterations = iters; o.learningRate = lr
        o.samples = calibration.nsamples; o.sequenceLength = calibration.seqlen
        o.batchSize = batchSize; o.start = start; o.loss = blockLoss; o.normStep = normStep; o.keptIteration = keptIteration; o.seed = calibration.seed
        o.endToEndSteps = e2eSteps; o.endToEndLearningRate = e2eLr; o.endToEndBatchSize = e2eBatch; o.endToEndWindows = e2eWindows
        o.endToEndTemperature = e2eTemperature
        o.generatedWindows = generatedWindows
        var options = try o.resolve(recipe)
        options.quantizedInput = quantizedInput
        options.skippedPositions = skipPositions
        return options
    }
}

/// The checkpoint the export stage writes (`quantize` and `run`).
struct CheckpointArguments: ParsableArguments {
    @Option(name: .customLong("format"), help: "Checkpoint layout: auto_round (packed), fake (dequantized weights) or gguf (one llama.cpp file; the plan must use ggml types or bf16). Default: gguf for run --target llamacpp, else auto_round.")
    var layout: CheckpointFormat?
    @Option(help: "dtype of the written 2-D tensors of the fake layout: bf16, f16 or f32.") var dtype = "bf16"
    @Option(help: "gguf: type of the token embedding and output (\(GGUFEmbeddingType.allCases.map(\.rawValue).joined(separator: ", ")); default: llama.cpp's, q8_0 for rows that are not whole 256-blocks, else q6_K).")
    var embeddingType: GGUFEmbeddingType?

    func validate() throws {
        guard ["bf16", "f16", "f32"].contains(dtype) else { throw ValidationError("--dtype must be bf16, f16 or f32, got \(dtype)") }
        if embeddingType != nil, let layout, layout != .gguf { throw ValidationError("--embedding-type applies to --format gguf only") }
    }

    /// The layout written: `--format`, or auto_round.
    var format: CheckpointFormat { layout ?? .autoRound }

    var options: CheckpointOptions { get throws { try options(for: .autoround) } }

    /// The options for a run searched under `target`: without `--format`, llama.cpp's target writes
    /// gguf and every other target auto_round.
    /// - Throws: `ValidationError` for `--format auto_round` under `--target llamacpp` (an auto_round
    ///   checkpoint holds no ggml block type), and for `--embedding-type` without gguf.
    func options(for target: DeploymentTarget) throws -> CheckpointOptions {
        let format = layout ?? (target == .llamacpp ? .gguf : .autoRound)
        if target == .llamacpp && format == .autoRound {
            throw ValidationError("--target llamacpp plans ggml block types, which an auto_round checkpoint cannot hold: use --format gguf (the default for this target) or fake")
        }
        if embeddingType != nil && format != .gguf { throw ValidationError("--embedding-type applies to --format gguf only") }
        return CheckpointOptions(format: format, dtype: StorageType(rawValue: dtype.uppercased()) ?? .bf16, embeddingType: embeddingType)
    }
}

/// The held-out text and window length of the evaluate stage (`quantize` and `run`; each command
/// keeps its own `--eval-windows`, whose 0 means "skip" after `quantize` and "the whole text" in `run`).
struct EvaluationArguments: ParsableArguments {
    @Option(name: .customLong("eval"), help: "Held-out evaluation text (default: the cached alice29.txt).") var text: String?
    @Option(parsing: .unconditional, help: "Evaluation context length in tokens.") var ctx = 512

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["--eval": text])
    }

    /// The check of the window count and length together.
    func validate(windows: Int) throws {
        guard windows >= 0, ctx >= 2 else {
            throw ValidationError("--eval-windows must be >= 0 and --ctx >= 2, got \(windows) and \(ctx)")
        }
        try OptionBounds.check(ctx, "--ctx", in: 2...OptionBounds.maximumWindowLength)
        try OptionBounds.tokens(windows: windows, "--eval-windows", length: ctx, "--ctx")
    }

    /// The evaluate stage's options for `windows` windows (nil: the whole text).
    func options(windows: Int?) -> EvaluateStageOptions {
        EvaluateStageOptions(text: text, context: ctx, windows: windows)
    }
}

/// The runtime the plan is for (`profile`, `search` and `run`): the profile measures the target's
/// fallback formats, the search offers each layer only what the runtime loads, at the bits it stores.
struct TargetArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Runtime the plan must load in: \(DeploymentTarget.allCases.map(\.rawValue).joined(separator: ", ")) (see Guides/Targets.md).",
                               discussion: DeploymentTarget.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n")))
    var target: DeploymentTarget = .autoround

    /// `formats` (nil: the target's default candidates, `DeploymentTarget.defaultFormats`) plus the
    /// target's fallback formats for the linear layers of a model of `config`.
    func profileFormats(_ formats: [QuantFormat]?, config: ModelConfig) -> [QuantFormat] {
        let shapes = LinearKind.allCases.map { kind -> TensorShape in
            let shape = config.linearShape(of: kind)
            return TensorShape(rows: shape[0], cols: shape[1])
        }
        return target.profileFormats(formats ?? target.defaultFormats(shapes: shapes), shapes: shapes)
    }

    /// The help of `--formats` on `profile` and `run`.
    static let formatsHelp = "Comma-separated candidate formats (default: "
        + QuantFormat.defaultCandidates.map(\.name).joined(separator: ",")
        + "; under --target llamacpp the ggml block types every linear layer can be stored in, and bf16)."
}

/// How bits are counted against a budget (`search` and `run`).
struct CountingArguments: ParsableArguments {
    @Option(name: .customLong("count"), help: "Bit counting convention: storage or autoround.")
    var counting: CostConvention = .storage
}

/// The input paths an output path is checked against (`OutputPath.check`) before any work.
enum StageInputs {
    /// The model's path as given, or the cached default model's when it is cached (nothing is
    /// fetched for the check; an absent default cannot be an output's input).
    static func modelPath(_ model: String?) -> String {
        guard let model, model != "default" else { return Assets.cachedPath(.defaultModel) ?? "" }
        return model
    }
}

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
struct CalibrationArguments: ParsableArguments {
    @Option(help: "Calibration text (default: the cached lcet10.txt).") var calib: String?
    @Option(parsing: .unconditional, help: "Calibration windows.") var nsamples = 32
    @Option(parsing: .unconditional, help: "Tokens per calibration window.") var seqlen = 512
    @Option(help: "Seed of the calibration windows and every other random choice.") var seed: UInt64 = 42

    func validate() throws {
        guard nsamples > 0, seqlen > 1 else { throw ValidationError("--nsamples must be > 0 and --seqlen > 1, got \(nsamples), \(seqlen)") }
    }

    var options: CalibrationOptions { CalibrationOptions(sampleCount: nsamples, sequenceLength: seqlen, seed: seed) }
}

/// The quantizer's settings (`quantize` and `run`): `QuantizeOptions` without the calibration windows.
struct QuantizeArguments: ParsableArguments {
    @Option(help: "Quantizer: signround or rtn.") var method: QuantizeMethod = .signround
    @Option(parsing: .unconditional, help: "SignRound iterations per layer (per block with --scope block).") var iters = 200
    @Option(parsing: .unconditional, help: "Initial learning rate (default 1 / iters), decaying linearly to 0.") var lr: Float?
    @Option(help: "SignRound scope: layer (each layer on its output error) or block (all layers of a block on the block output MSE, minibatches, quantized inputs; slower per iteration, see Guides/SignRound.md).")
    var scope: SignRoundScope = .layer
    @Option(parsing: .unconditional, help: "Calibration windows per block-wise step (--scope block).") var batchSize = 8
    @Flag(inversion: .prefixedNo, help: "Calibrate each block on the outputs of the already quantized blocks.")
    var quantizedInput = false
    @Option(parsing: .unconditional, help: "Positions at the start of every calibration window left out of the layer objectives (the attention-sink token).")
    var skipPositions = 0

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be >= 1, got \(batchSize)") }
        guard iters >= 0 else { throw ValidationError("--iters must be >= 0, got \(iters)") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive, got \(lr)") }
    }

    /// The check that needs the calibration windows' length.
    func validate(sequenceLength: Int) throws {
        guard skipPositions >= 0, skipPositions < sequenceLength else {
            throw ValidationError("--skip-positions must be in 0..<seqlen, got \(skipPositions)")
        }
    }

    /// The quantize stage's options on `calibration`'s windows (the block-wise batch capped at their count).
    func options(calibration: CalibrationOptions) -> QuantizeOptions {
        var options = QuantizeOptions()
        options.method = method
        options.signRound = SignRoundOptions(iterations: iters, learningRate: lr)
        options.calibration = calibration
        options.quantizedInput = quantizedInput
        options.skippedPositions = skipPositions
        options.scope = scope
        options.batchSize = min(batchSize, calibration.sampleCount)
        return options
    }
}

/// The checkpoint the export stage writes (`quantize` and `run`).
struct CheckpointArguments: ParsableArguments {
    @Option(help: "Checkpoint layout: auto_round (packed) or fake (dequantized weights).") var format: CheckpointFormat = .autoRound
    @Option(help: "dtype of the written 2-D tensors of the fake layout: bf16, f16 or f32.") var dtype = "bf16"

    func validate() throws {
        guard ["bf16", "f16", "f32"].contains(dtype) else { throw ValidationError("--dtype must be bf16, f16 or f32, got \(dtype)") }
    }

    var options: CheckpointOptions {
        CheckpointOptions(format: format, dtype: StorageType(rawValue: dtype.uppercased()) ?? .bf16)
    }
}

/// The held-out text and window length of the evaluate stage (`quantize` and `run`; each command
/// keeps its own `--eval-windows`, whose 0 means "skip" after `quantize` and "the whole text" in `run`).
struct EvaluationArguments: ParsableArguments {
    @Option(name: .customLong("eval"), help: "Held-out evaluation text (default: the cached alice29.txt).") var text: String?
    @Option(parsing: .unconditional, help: "Evaluation context length in tokens.") var ctx = 512

    /// The check of the window count and length together.
    func validate(windows: Int) throws {
        guard windows >= 0, ctx >= 2 else {
            throw ValidationError("--eval-windows must be >= 0 and --ctx >= 2, got \(windows) and \(ctx)")
        }
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

    /// `formats` plus the target's fallback formats for the linear layers of a model of `config`.
    func profileFormats(_ formats: [QuantFormat], config: ModelConfig) -> [QuantFormat] {
        let shapes = LinearKind.allCases.map { kind -> TensorShape in
            let shape = config.linearShape(of: kind)
            return TensorShape(rows: shape[0], cols: shape[1])
        }
        return target.profileFormats(formats, shapes: shapes)
    }
}

/// How bits are counted against a budget (`search` and `run`).
struct CountingArguments: ParsableArguments {
    @Option(name: .customLong("count"), help: "Bit counting convention: storage or autoround.")
    var counting: CostConvention = .storage
}

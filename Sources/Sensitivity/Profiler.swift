import Foundation
import Model
import Formats
import TensorCore

/// Scores per estimator, indexed [layer][format] in the order of `ProfilerResult.layers` and the
/// options' formats.
public typealias ScoreTable = [SensitivityEstimator: [[Double]]]

/// Everything one profiler run produced.
public struct ProfilerResult: Sendable {
    /// The profile file's content.
    public var profile: SensitivityProfile
    /// Per-layer measurements (output errors, bits, fallbacks), in model order.
    public var layers: [LayerMeasurement]
    /// Every estimator computed (`ProfilerOptions.computedEstimators`).
    public var scores: ScoreTable
    /// Per-layer results of the first probe (empty without `calibrated` / `kl`).
    public var probes: [LayerProbe]
    /// Per-layer results of every probe, in `ProfilerOptions.probeFormats` order (empty likewise).
    public var probeSets: [[LayerProbe]] = []
    /// The errors `calibrated` scaled, [layer][format] (empty without `calibrated` / `kl`): each
    /// layer's output error, or for q/k/v its block's output error on the probe tokens (`ErrorSite`).
    public var calibratedErrors: [[Double]] = []
    /// Stage times and flops.
    public var clock: StageClock
}

/// The sensitivity profiler: capture -> per-layer output errors -> KL probes -> validation.
///
/// Tokens come from one calibration text, cut by `CalibrationSplit` into calibration windows
/// (Gram matrices; the first `probeWindows` of them, cut to `probeLength`, also carry the KL
/// probes) and held-out windows (validation only).
public struct SensitivityProfiler: Sendable {
    public let model: LlamaModel
    public let options: ProfilerOptions

    public init(model: LlamaModel, options: ProfilerOptions) throws {
        try options.validate()
        self.model = model
        self.options = options
    }

    /// Windows whose raw layer inputs measure an activation format's output error in the capture
    /// pass (the Gram matrix knows X, not Q(X)): 8 x 512 tokens, at most one block's inputs at a time.
    static let activationErrorWindows = 8

    /// The run's windows. - Throws: `ProfilerError.textTooShort` with the tokens needed.
    public func split(tokens: [Int], file: String) throws -> CalibrationSplit {
        try CalibrationSplit(tokens: tokens, calibration: options.sampleCount,
                             heldOut: options.validationPlans > 0 ? options.validationWindows : 0,
                             length: options.sequenceLength, seed: options.seed, file: file)
    }

    /// Profiles the model on `tokens` (the tokenized calibration text).
    /// - Parameters:
    ///   - identity: written to the profile as is.
    ///   - calibration: file name and digest of the text; samples/length/seed/tokens are filled in.
    ///   - progress: called after each unit of work of each stage.
    /// - Throws: `ProfilerError`, `LlamaError`, `QuantError` naming what is wrong.
    public func run(tokens: [Int], identity: ModelIdentity, calibrationFile: String, calibrationSHA256: String,
                    progress: ((ProfilerProgress) -> Void)? = nil) throws -> ProfilerResult {
        let split = try split(tokens: tokens, file: calibrationFile)
        let ids = try options.selectedLayers(of: model.config)
        if options.validationPlans > 0 && ids.count != model.config.numHiddenLayers * LinearKind.allCases.count {
            throw ProfilerError.validationNeedsAllLayers(profiled: ids.count,
                                                         total: model.config.numHiddenLayers * LinearKind.allCases.count)
        }
        var clock = StageClock()
        let wanted = options.computedEstimators
        var scores: ScoreTable = [:]
        var gradientErrors: [[Double]]?
        let inputQuantizers = try clock.time(\.forwardSeconds) {
            try ProfileInputQuantizers.make(model: model, formats: options.formats, ids: ids,
                                            windows: Array(split.calibration.prefix(options.capturedWindowCount ?? options.gradientWindowCount)))
        }
        if wanted.contains(where: \.needsGradients) {
            var scorer = GradientScorer(model: model, formats: options.formats, seed: options.seed)
            scorer.inputQuantizers = inputQuantizers
            let windows = Array(split.calibration.prefix(options.gradientWindowCount))
            let g = try clock.time(\.gradientSeconds) {
                try scorer.score(ids: ids, windows: windows, batchSize: options.gradientBatchSize,
                                 estimators: wanted.filter(\.needsGradients), progress: progress)
            }
            if let d = g.deltaLoss { scores[.deltaLoss] = d }
            if let f = g.fisher { scores[.fisher] = f }
            if let f = g.fisherKL { scores[.fisherKL] = f }
            gradientErrors = g.outputError
            clock.gradientScoringSeconds += g.scoringSeconds
        }
        let layers: [LayerMeasurement]
        if let count = options.capturedWindowCount {
            layers = try capture(windows: Array(split.calibration.prefix(count)), ids: ids, inputQuantizers: inputQuantizers,
                                 clock: &clock, progress: progress)
        } else {
            let scorer = LayerScorer(formats: options.formats, probeFormats: options.probeFormats)
            layers = zip(ids, gradientErrors!).map { id, errors in
                scorer.describe(id, shape: model.config.linearShape(of: id.kind), outputErrors: errors)
            }
        }
        scores[.outputError] = layers.map(\.outputError)
        var probes: [[LayerProbe]] = []
        var calibratedErrors: [[Double]] = []
        if wanted.contains(where: \.needsProbes) {
            let probeWindows = split.calibration.prefix(options.probeWindows).map { Array($0.prefix(options.probeLength)) }
            let replay = try clock.time(\.probeSeconds) { try LayerReplay(model: model, windows: probeWindows) }
            var prober = LayerProber(model: model, replay: replay, formats: options.formats, probeFormats: options.probeFormats)
            prober.inputQuantizers = inputQuantizers
            let probed = try prober.run(layers, measureEveryFormat: options.estimator == .kl, clock: &clock, progress: progress)
            probes = probed.probes
            calibratedErrors = probed.errors
            scores[.calibrated] = probed.calibrated
            if let kl = probed.kl { scores[.kl] = kl }
        }
        var validation: [EstimatorValidation]?
        if options.validationPlans > 0 {
            // Plans mix only formats every layer can take (not fp8-a8 where an input is not whole groups of 128).
            let planFormats = options.planFormats.filter { f in ids.allSatisfy { f.acceptsInputs(model.config.linearShape(of: $0.kind)[1]) } }
            guard planFormats.count >= 2 else {
                throw ProfilerError.invalidOption(name: "--formats", value: options.planFormats.map(\.name).joined(separator: ","),
                                                  expected: "at least two formats every layer can take for validation plans to mix")
            }
            var validator = PlanValidator(model: model, formats: options.formats, planFormats: planFormats,
                                          bitRange: options.validationBits, seed: options.seed)
            validator.inputQuantizers = inputQuantizers
            validation = try clock.time(\.validationSeconds) {
                try validator.validate(layers: layers, scores: scores, windows: split.heldOut,
                                       plans: options.validationPlans, progress: progress)
            }
        }
        let profile = ProfileAssembler(options: options, split: split).profile(
            identity: identity, calibrationFile: calibrationFile, calibrationSHA256: calibrationSHA256,
            layers: layers, scores: scores, probes: probes, validation: validation, clock: clock)
        return ProfilerResult(profile: profile, layers: layers, scores: scores, probes: probes.map { $0[0] },
                              probeSets: probes, calibratedErrors: calibratedErrors, clock: clock)
    }

    /// Runs the calibration windows block by block (up to the last selected block) and measures each
    /// selected layer in every format from its block's Gram matrices.
    /// Activation formats are measured on the raw inputs of the first `activationErrorWindows` windows.
    func capture(windows: [[Int]], ids: [LayerID], inputQuantizers: ProfileInputQuantizers = .none, clock: inout StageClock,
                 progress: ((ProfilerProgress) -> Void)?) throws -> [LayerMeasurement] {
        let raw = options.formats.contains { $0.activation != nil } ? min(windows.count, Self.activationErrorWindows) : 0
        let captureOptions = CalibrationOptions(sampleCount: windows.count, sequenceLength: options.sequenceLength,
                                                seed: options.seed, rawInputSamples: raw)
        let capture = try clock.time(\.forwardSeconds) {
            try CalibrationCapture(model: model, windows: windows, options: captureOptions)
        }
        let scorer = LayerScorer(formats: options.formats, probeFormats: options.probeFormats)
        let lastBlock = ids.map(\.block).max() ?? -1
        let stage = StageProgress(stage: "capture", total: ids.count, report: progress)
        var measured: [LayerMeasurement] = []
        while capture.nextBlock <= lastBlock {
            guard let block = try clock.time(\.forwardSeconds, { try capture.next() }) else { break }
            for id in ids where id.block == block.index {
                let weight = block.weights[id.kind]
                let expected = model.config.linearShape(of: id.kind)
                guard [weight.rows, weight.cols] == expected else {
                    throw ProfilerError.layerShape(layer: id.weightName, expected: expected, actual: [weight.rows, weight.cols])
                }
                measured.append(try scorer.measure(id, weight: weight, stats: block.stats(for: id.kind),
                                                   inputs: inputQuantizers.table[id] ?? [], clock: &clock))
                stage.step(measured.count)
            }
        }
        return measured
    }
}

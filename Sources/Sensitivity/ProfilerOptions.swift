import Foundation
import IO
import Model
import Formats

/// Settings of one profiler run. Defaults: the search's default candidates, `fisher-kl`,
/// 32 windows of 512 tokens, seed 42, 2 probe windows of 128 tokens, probe formats int3/g128 and int4/g128.
public struct ProfilerOptions: Sendable {
    /// Candidate formats, in the order they are tried and written.
    public var formats: [QuantFormat]
    /// The estimator whose scores the profile's `score` fields hold.
    public var estimator: SensitivityEstimator
    /// Calibration windows (for the Gram matrices) and their length in tokens.
    public var sampleCount: Int
    public var sequenceLength: Int
    /// Seed of every random choice: window selection and validation plans (SplitMix64).
    public var seed: UInt64
    /// Windows for the KL probes (`calibrated`, `kl`): the first this-many calibration windows,
    /// cut to their first `probeLength` tokens; every position is scored.
    public var probeWindows: Int
    public var probeLength: Int
    /// The perturbations whose measured KLs calibrate each layer's gains (`calibrated`): one replay
    /// per layer and probe; a format's gain is interpolated in ln(output error) between them
    /// (`ProbeGain`). Default: int3/g128 (coarse) and int4/g128 (fine).
    public var probeFormats: [QuantFormat]
    /// The first probe format (the one `ProfilerSettings.probeFormat` and `LayerProbe` report).
    public var probeFormat: QuantFormat { probeFormats[0] }
    /// Probe formats used when none are given.
    public static let defaultProbeFormats = [QuantFormat.defaultCandidates[1], QuantFormat.defaultCandidates[2]]
    /// Only layers whose weight name matches (search semantics) are profiled; nil = all.
    public var layerPattern: String?
    /// Random mixed plans measured on held-out windows (0 = no validation).
    public var validationPlans: Int
    /// Held-out windows (never used for scoring) on which each plan's KL is measured.
    public var validationWindows: Int
    /// Average bits per weight (storage convention, searched layers) the plans spread over.
    public var validationBits: ClosedRange<Double>
    /// Formats plans mix; nil = the integer, ggml and activation formats among `formats` (an
    /// activation format only where every profiled layer can take it: `SensitivityProfiler`).
    public var validationFormats: [QuantFormat]?
    /// Windows of the gradient pass (`delta-loss`, `fisher`): the first this-many calibration windows
    /// (at most `sampleCount`, see `gradientWindowCount`), at full `sequenceLength`.
    public var gradientWindows: Int = 4
    /// Windows per forward + backward pass (bounds memory: the cached block inputs are
    /// layers x batch tokens x hidden floats).
    public var gradientBatchSize: Int = 4

    public init(formats: [QuantFormat] = QuantFormat.defaultCandidates, estimator: SensitivityEstimator = .standard,
                sampleCount: Int = 32, sequenceLength: Int = 512, seed: UInt64 = 42,
                probeWindows: Int = 2, probeLength: Int = 128, probeFormat: QuantFormat? = nil,
                probeFormats: [QuantFormat]? = nil,
                layerPattern: String? = nil, validationPlans: Int = 0, validationWindows: Int = 2,
                validationBits: ClosedRange<Double> = 2.5...4.5, validationFormats: [QuantFormat]? = nil) {
        self.formats = formats
        self.estimator = estimator
        self.sampleCount = sampleCount
        self.sequenceLength = sequenceLength
        self.seed = seed
        self.probeWindows = probeWindows
        self.probeLength = probeLength
        // One named probe alone is the single-probe estimator; neither: the default pair.
        self.probeFormats = probeFormats ?? probeFormat.map { [$0] } ?? Self.defaultProbeFormats
        self.layerPattern = layerPattern
        self.validationPlans = validationPlans
        self.validationWindows = validationWindows
        self.validationBits = validationBits
        self.validationFormats = validationFormats
    }

    /// Parses a comma-separated format list (`int2,int4/g64,mxfp4`); names as `QuantFormat(parsing:)`.
    /// - Throws: `ProfilerError.unknownFormat` listing every known spelling; `.invalidOption` for an
    ///   empty list or a format named twice.
    public static func parseFormats(_ list: String, option: String = "--formats") throws -> [QuantFormat] {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else {
            throw ProfilerError.invalidOption(name: option, value: "\"\(list)\"", expected: "a comma-separated list of formats")
        }
        var formats: [QuantFormat] = []
        for name in names {
            let format: QuantFormat
            do { format = try QuantFormat(parsing: name) } catch {
                throw ProfilerError.unknownFormat(name: name, known: FormatTraits.knownNames)
            }
            guard !formats.contains(format) else {
                throw ProfilerError.invalidOption(name: option, value: list, expected: "each format once (\(format.name) repeats)")
            }
            formats.append(format)
        }
        return formats
    }

    /// Checks ranges. - Throws: `ProfilerError.invalidOption` naming the option.
    public func validate() throws {
        func require(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws {
            if !ok { throw ProfilerError.invalidOption(name: name, value: "\(value)", expected: expected) }
        }
        try require(!formats.isEmpty, "--formats", "[]", "at least one format")
        try require(sampleCount >= 1, "--nsamples", sampleCount, "at least 1")
        try require(sequenceLength >= 2, "--seqlen", sequenceLength, "at least 2")
        try require(probeWindows >= 1 && probeWindows <= sampleCount, "--probe-windows", probeWindows,
                    "1...\(sampleCount) (a subset of the calibration windows)")
        try require(probeLength >= 2, "--probe-length", probeLength, "at least 2")
        try require(!probeFormats.isEmpty && Set(probeFormats).count == probeFormats.count, "--probe-format",
                    probeFormats.map(\.name), "one or more distinct formats")
        try require(validationPlans == 0 || validationPlans >= 3, "--validate", validationPlans,
                    "0 (no validation) or at least 3 plans (a correlation of fewer points says nothing)")
        try require(gradientWindows >= 1, "--gradient-windows", gradientWindows, "at least 1")
        try require(gradientBatchSize >= 1, "--gradient-batch", gradientBatchSize, "at least 1")
        try require(validationWindows >= 1, "--validation-windows", validationWindows, "at least 1")
        try require(validationBits.lowerBound > 0, "validation bits", validationBits, "a positive range")
        try checkUpperBounds(require)
        // Every estimator but delta-loss runs activation formats with Q(X): fisher-kl and fisher in
        // their products, kl in its replays, output-error and calibrated on the capture's raw inputs.
        // delta-loss sees only the weights.
        if let a = formats.first(where: { $0.activation != nil }) {
            try require(estimator != .deltaLoss, "--estimator", estimator.rawValue,
                        "an estimator other than delta-loss with activation formats such as \(a.name) (delta-loss sees the weights, not Q(X))")
        }
        if validationPlans > 0 {
            try require(planFormats.count >= 2, "--formats", formats.map(\.name),
                        "at least two formats for validation plans to mix")
        }
    }

    /// Most windows of one kind (2^20), tokens of one window (2^17) and validation plans (10^4); the
    /// calibration and held-out windows together at most `InputLimits.tokens` tokens.
    private func checkUpperBounds(_ require: (Bool, String, Any, String) throws -> Void) throws {
        let windows = 1 << 20, length = 1 << 17
        try require(sampleCount <= windows, "--nsamples", sampleCount, "at most \(windows)")
        try require(validationWindows <= windows, "--validation-windows", validationWindows, "at most \(windows)")
        try require(gradientWindows <= windows, "--gradient-windows", gradientWindows, "at most \(windows)")
        try require(gradientBatchSize <= windows, "--gradient-batch", gradientBatchSize, "at most \(windows)")
        try require(sequenceLength <= length, "--seqlen", sequenceLength, "at most \(length)")
        try require(probeLength <= length, "--probe-length", probeLength, "at most \(length)")
        try require(validationPlans <= 10_000, "--validate", validationPlans, "at most 10000 plans")
        let tokens = InputLimits.product(sampleCount + validationWindows, sequenceLength, atMost: InputLimits.tokens)
        try require(tokens != nil, "--nsamples", sampleCount,
                    "such that (--nsamples + --validation-windows) x --seqlen <= \(InputLimits.tokens) tokens")
    }

    /// Windows the gradient pass runs on: `gradientWindows` capped at the calibration windows.
    public var gradientWindowCount: Int { min(gradientWindows, sampleCount) }

    /// Estimators the run computes: `output-error` always; the chosen one and what it needs; with
    /// validation also every gradient estimator (so they are compared on the same measured plans).
    /// `calibrated` is validated only when chosen (or with `kl`): its probes would cost more than
    /// the rest of the profile.
    public var computedEstimators: Set<SensitivityEstimator> {
        var set: Set<SensitivityEstimator> = [.outputError, estimator]
        if estimator == .kl { set.insert(.calibrated) }
        if validationPlans > 0 { set.formUnion([.deltaLoss, .fisher, .fisherKL]) }
        return set
    }

    /// Calibration windows the capture forward measures output errors on (Gram matrices): all of
    /// them when `output-error` is the chosen estimator or KL probes run (`calibrated`, `kl`); nil
    /// (no capture forward) when `fisher-kl` runs, whose products X (Q_f(W) - W)^T give the output
    /// errors on the gradient windows for free; otherwise (`delta-loss`, `fisher`) the gradient
    /// windows, where those scores come from. Without probes the output errors are context only.
    public var capturedWindowCount: Int? {
        if estimator == .outputError || computedEstimators.contains(where: \.needsProbes) { return sampleCount }
        return computedEstimators.contains(.fisherKL) ? nil : gradientWindowCount
    }

    /// Formats the validation plans mix (sorted by nominal bits per weight).
    public var planFormats: [QuantFormat] {
        let pool = validationFormats ?? formats.filter { $0.family == .int || $0.family == .ggml || $0.activation != nil }
        return pool.filter { formats.contains($0) }.sorted { $0.bitsPerWeight < $1.bitsPerWeight }
    }

    /// The layers of `model` that `layerPattern` selects, in model order.
    /// - Throws: `ProfilerError.invalidLayerPattern` / `.noLayersMatch`.
    public func selectedLayers(of config: ModelConfig) throws -> [LayerID] {
        let all = (0..<config.numHiddenLayers).flatMap { b in LinearKind.allCases.map { LayerID(block: b, kind: $0) } }
        guard let pattern = layerPattern else { return all }
        let regex: NSRegularExpression
        do { regex = try NSRegularExpression(pattern: pattern) } catch {
            throw ProfilerError.invalidLayerPattern(pattern: pattern, reason: error.localizedDescription)
        }
        let chosen = all.filter { id in
            let name = id.weightName
            return regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
        }
        guard !chosen.isEmpty else {
            throw ProfilerError.noLayersMatch(pattern: pattern, example: all.first?.weightName ?? "model.layers.0.mlp.down_proj.weight")
        }
        return chosen
    }
}

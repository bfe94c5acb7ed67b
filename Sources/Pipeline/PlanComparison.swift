import Dispatch
import Export
import Foundation
import Model
import Formats
import Quant
import Search
import Sensitivity
import IO

/// A quality comparison of plans (`autoscheme-bench compare-plans`): at each budget, the searched
/// plan (SignRound and RTN), the best uniform format and llama.cpp's depth heuristic (both
/// SignRound), each quantized and evaluated against the original on held-out text.
///
/// Protocol, as `run`: plans are searched on the cached (or given) profile with `run`'s search options
/// (storage counting, searched-layer scope, vLLM sharing); SignRound calibration windows are drawn from
/// the calibration text with the same count, length and seed; evaluation is `Evaluation.run` on the
/// first `windows` windows of `ctx` tokens of the evaluation text, KL and top-1 against the original.
/// Unlike `run`, the quantized weights are evaluated in memory (no checkpoint is written and read back).
///
/// Every option, the profile, the texts and every plan are checked before the first quantization, so
/// a bad value fails in seconds.
public struct PlanComparison {
    public let options: PlanComparisonOptions
    public let cache: ProfileCache
    /// One line per unit of progress, with an ETA; the CLI prints it on stderr.
    public let progress: (String) -> Void

    public init(options: PlanComparisonOptions, cache: ProfileCache = ProfileCache(), progress: @escaping (String) -> Void) {
        self.options = options
        self.cache = cache
        self.progress = progress
    }

    /// A plan to quantize and evaluate.
    struct Job {
        var budget: Double
        var variant: PlanVariant
        var plan: QuantizationPlan
        var planSeconds: Double
    }

    /// Runs every budget and variant. - Throws: the first typed error (options, model, texts, profile,
    /// an infeasible searched plan, quantization, evaluation).
    public func run() throws -> PlanComparisonResult {
        try options.validate()
        let setupStart = Date()
        // Nothing is printed until every input has been checked: a bad input gives one line.
        let inputs = try ProfileInputs(model: options.model, calib: options.calibrationText)
        let text = try EvaluationText(options.evaluation, tokenizer: inputs.tokenizer)
        try TextLength.check(inputs.tokens.count, path: inputs.calibrationFile, role: .calibration, windows: nil,
                             length: options.calibration.sequenceLength)
        let calibration = try CalibrationWindows.sample(
            tokens: inputs.tokens, count: options.calibration.sampleCount,
            length: options.calibration.sequenceLength, seed: options.calibration.seed)
        let (profile, profilePath) = try loadProfile(inputs)
        let (jobs, skipped) = try plans(profile)
        let setupSeconds = Date().timeIntervalSince(setupStart)
        progress(String(format: "compare-plans: profile %@ (%@, %d layers); %d plans to quantize and evaluate (%d skipped), setup %.1f s",
                        profilePath, profile.estimator, profile.layers.count, jobs.count, skipped.count, setupSeconds))

        let original = try inputs.model.resident()
        // Without quantized input every plan sees the same calibration statistics: one set of forwards.
        let grams = CalibrationGramCache(windows: calibration)
        var rows: [PlanComparisonRow] = [], originalPPL = Double.nan
        let heavy = ProgressClock()
        for (index, job) in jobs.enumerated() {
            let label = String(format: "[%d/%d] %.4g bits %@", index + 1, jobs.count, job.budget, job.variant.rawValue)
            progress("compare-plans: \(label): quantizing (\(describe(job.plan)))")
            let quantizeStart = Date()
            let applied = try quantize(inputs, plan: job.plan, method: job.variant.method, windows: calibration,
                                       grams: grams, label: label)
            let quantizeSeconds = Date().timeIntervalSince(quantizeStart)
            let evaluateStart = Date()
            let result = try evaluate(applied, original: original, text: text, label: label)
            let evaluateSeconds = Date().timeIntervalSince(evaluateStart)
            originalPPL = result.originalPPL ?? originalPPL
            rows.append(PlanComparisonRow(
                budget: job.budget, variant: job.variant, plan: describe(job.plan),
                achievedBits: job.plan.achieved.searchedAverage, predictedLoss: job.plan.predictedLoss,
                ppl: result.ppl, kl: result.kl ?? .nan, top1Agree: result.top1Agree ?? .nan,
                planSeconds: job.planSeconds, quantizeSeconds: quantizeSeconds, evaluateSeconds: evaluateSeconds))
            progress(String(format: "compare-plans: %@: PPL %.3f, KL %.4f; ", label, result.ppl, result.kl ?? .nan)
                     + heavy.elapsedAndETA(done: index + 1, total: jobs.count))
        }
        return PlanComparisonResult(
            model: inputs.description.path, profile: profilePath, estimator: profile.estimator, evaluationText: text.path,
            evaluationTokens: text.tokens.count, ctx: options.evaluationContext, windows: text.windows,
            iterations: options.iterations, calibrationWindows: calibration.count, originalPPL: originalPPL,
            setupSeconds: setupSeconds, rows: rows, skipped: skipped)
    }

    /// The plans alone (no quantization, no evaluation): rows with the plan, achieved bits and
    /// predicted loss, PPL/KL/top-1 NaN. Seconds, for checking what the table will compare.
    public func planTable() throws -> PlanComparisonResult {
        try options.validate()
        let start = Date()
        let inputs = try ProfileInputs(model: options.model, calib: options.calibrationText)
        let (profile, profilePath) = try loadProfile(inputs)
        let (jobs, skipped) = try plans(profile)
        let rows = jobs.map { job in
            PlanComparisonRow(budget: job.budget, variant: job.variant, plan: describe(job.plan),
                          achievedBits: job.plan.achieved.searchedAverage, predictedLoss: job.plan.predictedLoss,
                          ppl: .nan, kl: .nan, top1Agree: .nan, planSeconds: job.planSeconds,
                          quantizeSeconds: 0, evaluateSeconds: 0)
        }
        return PlanComparisonResult(
            model: inputs.description.path, profile: profilePath, estimator: profile.estimator, evaluationText: "",
            evaluationTokens: 0, ctx: options.evaluationContext, windows: 0, iterations: options.iterations,
            calibrationWindows: 0, originalPPL: .nan, setupSeconds: Date().timeIntervalSince(start), rows: rows,
            skipped: skipped)
    }

    /// The given profile, or the cached one for the model, calibration text and default profiler settings;
    /// it must belong to the model.
    func loadProfile(_ inputs: ProfileInputs) throws -> (SensitivityProfile, String) {
        let identity = ModelIdentity(inputs.description)
        let url: URL
        if let path = options.profile {
            url = URL(fileURLWithPath: path)
        } else {
            url = cache.url(identity: identity, calibrationSHA256: inputs.calibrationSHA256, options: ProfilerOptions())
            guard FileManager.default.fileExists(atPath: url.path) else { throw PipelineError.noCachedProfile(path: url.path) }
        }
        let profile = try SensitivityProfile.load(from: url)
        guard profile.model.fingerprint == identity.fingerprint else {
            throw PipelineError.profileMismatch(profile: url.path, profileModel: profile.model.path, model: inputs.description.path)
        }
        return (profile, url.path)
    }

    /// Every plan, budget by budget. An infeasible searched plan is an error (the budget is impossible);
    /// a baseline rule without a plan at a budget is skipped with its reason.
    func plans(_ profile: SensitivityProfile) throws -> ([Job], [PlanComparisonSkip]) {
        var jobs: [Job] = [], skipped: [PlanComparisonSkip] = []
        for budget in options.budgets {
            let search = SearchOptions(averageBits: budget)
            var searched: (QuantizationPlan, Double)?
            for variant in options.variants {
                let start = Date()
                do {
                    let plan: QuantizationPlan
                    switch variant {
                    case .searchedSignRound, .searchedRTN:
                        let found = try searched ?? (try PlanSearch.run(profile: profile, options: search), Date().timeIntervalSince(start))
                        searched = found
                        jobs.append(Job(budget: budget, variant: variant, plan: found.0, planSeconds: found.1))
                        continue
                    case .uniformSignRound: plan = try BaselinePlans.uniform(profile: profile, options: search)
                    case .heuristicSignRound: plan = try BaselinePlans.depthHeuristic(profile: profile, options: search)
                    }
                    jobs.append(Job(budget: budget, variant: variant, plan: plan, planSeconds: Date().timeIntervalSince(start)))
                } catch let error as SearchError {
                    guard case .noBaselinePlan = error else { throw error }
                    skipped.append(PlanComparisonSkip(budget: budget, variant: variant, reason: error.errorDescription ?? "\(error)"))
                }
            }
        }
        return (jobs, skipped)
    }

    /// Quantizes the plan's layers (SignRound with `options.iterations`, or RTN), forwarding the
    /// applier's per-layer progress at most every 10 s.
    func quantize(_ inputs: ProfileInputs, plan: QuantizationPlan, method: QuantizeMethod, windows: [[Int]],
                  grams: CalibrationGramCache, label: String) throws -> QuantizedWeights {
        let formats = try PlanFormats.resolve(plan, model: inputs.description, file: label)
        var q = QuantizeOptions()
        q.method = method
        q.signRound = SignRoundOptions(iterations: options.iterations)
        q.calibration = options.calibration
        var last = DispatchTime.now().uptimeNanoseconds
        return try PlanApplier(model: inputs.model, formats: formats, options: q).run(windows: windows, gramCache: grams) { line in
            let now = DispatchTime.now().uptimeNanoseconds
            guard now - last >= 10_000_000_000 else { return }
            last = now
            progress("compare-plans: \(label): \(line)")
        }
    }

    /// PPL, KL and top-1 of the original with the quantized weights in place, against the original.
    func evaluate(_ applied: QuantizedWeights, original: ResidentLlama, text: EvaluationText,
                  label: String) throws -> EvaluationResult {
        var quantized = original
        applied.apply(to: &quantized.blocks)
        return try EvaluateStage.run(quantized, against: original, text: text) { done, total in
            if done == total || done % 4 == 0 { progress("compare-plans: \(label): evaluated \(done)/\(total) windows") }
        }
    }

    /// "FORMAT COUNT, ..." by layer count, most used first (ties by name).
    func describe(_ plan: QuantizationPlan) -> String {
        var counts: [QuantFormat: Int] = [:]
        for layer in plan.layers { counts[layer.format, default: 0] += 1 }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key.name) \($0.value)" }.joined(separator: ", ")
    }
}

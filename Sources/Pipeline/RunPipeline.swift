import Export
import Foundation
import Model
import Formats
import Quant
import Report
import Search
import Sensitivity
import TensorCore
import IO

/// `autoscheme run`: profile (reused from the cache when the model, text and settings match),
/// search, quantize, export, evaluate against the original on held-out text, and report.
///
/// Everything is written into a temporary sibling of the output folder, which is renamed into
/// place only when every stage has succeeded: a failure leaves no half-written output.
public struct RunPipeline {
    public let options: RunOptions
    /// Receives one line per unit of progress (stage, how far, ETA); the CLI prints it on stderr.
    public let progress: (String) -> Void
    /// Where profiles are cached.
    public let cache: ProfileCache

    public init(options: RunOptions, cache: ProfileCache = ProfileCache(), progress: @escaping (String) -> Void) {
        self.options = options
        self.cache = cache
        self.progress = progress
    }

    /// Runs every stage. - Throws: the first stage's typed error; nothing is left in the output path.
    public func run() throws -> RunSummary {
        guard options.averageBits.isFinite, options.averageBits > 0 else {
            throw PipelineError.invalidBudget(value: options.averageBits)
        }
        let gguf = options.checkpoint.format == .gguf
        if gguf { try GGUFExport.checkCandidates(options.profiler.formats, source: "the candidate formats") }
        let output = OutputFolder(path: options.output, overwrite: options.overwrite)
        try output.checkWritable()
        var clock = StageTimer(progress: progress)

        // Loading and the input checks print nothing until they succeed: a bad input gives one line.
        let loadStart = Date()
        let inputs = try ProfileInputs(model: options.model, calib: options.calibrationText)
        let evaluationText = try RunPreflight.check(options, inputs: inputs)
        clock.record(.load, since: loadStart)
        let (profile, reused) = try clock.run(.profile) { try profileStage(inputs) }
        let (plan, sweep) = try clock.run(.search) { try searchStage(profile) }
        let staging = try output.makeStaging()
        do {
            let quantized = try clock.run(.quantize) { try quantizeStage(inputs, plan: plan) }
            let modelDir = staging.appendingPathComponent(RunArtifacts.checkpointName(options.checkpoint.format)).path
            if gguf {
                try AtomicFile.write(try quantized.stats.encoded(), to: staging.appendingPathComponent(QuantizeStats.fileName))
            }
            try clock.run(.export) {
                try ExportStage.write(quantized, inputs: inputs, options: options.checkpoint, to: modelDir, overwrite: false)
            }
            let eval = try clock.run(.evaluate) { try evaluateStage(inputs, modelDir: modelDir, text: evaluationText) }
            var summary = RunSummary(
                model: inputs.description.path, targetBits: options.averageBits,
                achievedBits: plan.achieved.searchedAverage, modelBits: plan.achieved.modelAverage,
                predictedLoss: plan.predictedLoss, profileReused: reused, evaluationText: evaluationText.path,
                evaluationTokens: eval.quantized.tokens, ctx: eval.quantized.ctx, windows: eval.quantized.windows,
                originalPPL: eval.originalPPL, quantizedPPL: eval.quantized.ppl, kl: eval.quantized.kl ?? .nan,
                top1Agree: eval.quantized.top1Agree ?? .nan, stages: [], output: output.path, files: [:])
            try clock.run(.report) {
                try writeArtifacts(staging: staging, profile: profile, plan: plan, sweep: sweep, summary: summary)
            }
            summary.stages = clock.times
            summary.files = RunArtifacts.files(in: output.path, checkpoint: options.checkpoint.format)
            try AtomicFile.writeJSON(summary, to: staging.appendingPathComponent(RunArtifacts.summary))
            try output.commit(staging)
            return summary
        } catch {
            output.discard(staging)
            throw error
        }
    }

    /// The profile: from the cache when the key matches, otherwise measured (and cached).
    func profileStage(_ inputs: ProfileInputs) throws -> (SensitivityProfile, Bool) {
        let identity = ModelIdentity(inputs.description)
        var profilerOptions = options.profiler
        let config = inputs.model.config
        profilerOptions.formats = options.target.profileFormats(profilerOptions.formats, shapes: LinearKind.allCases.map {
            TensorShape(rows: config.linearShape(of: $0)[0], cols: config.linearShape(of: $0)[1])
        })
        let url = cache.url(identity: identity, calibrationSHA256: inputs.calibrationSHA256, options: profilerOptions)
        if options.reuseProfile, let cached = cache.load(url), cached.model.fingerprint == identity.fingerprint {
            progress("profile: reusing \(url.path)")
            return (cached, true)
        }
        let profiler = try SensitivityProfiler(model: inputs.model, options: profilerOptions)
        let result = try profiler.run(tokens: inputs.tokens, identity: identity, calibrationFile: inputs.calibrationFile,
                                      calibrationSHA256: inputs.calibrationSHA256) { p in
            if p.done == p.total || p.done % max(1, p.total / 20) == 0 { progress("profile: " + p.line) }
        }
        if options.reuseProfile { try? cache.store(result.profile, at: url) }
        return (result.profile, false)
    }

    /// The plan at the budget, and a sweep over the feasible range for the report's frontier.
    func searchStage(_ profile: SensitivityProfile) throws -> (QuantizationPlan, PlanSweep) {
        let search = SearchOptions(averageBits: options.averageBits, counting: options.counting, target: options.target)
        let plan = try PlanSearch.run(profile: profile, options: search)
        let range = try SearchProblem(profile: profile, options: search).feasibleRange
        let low = (range.lowerBound * 20).rounded(.up) / 20, high = min(range.upperBound, 8.5)
        let targets = stride(from: low, through: high, by: 0.05).map { $0 }
        let sweep = try PlanSearch.sweep(profile: profile, options: search, targets: targets)
        progress(String(format: "search: %.4f bits achieved (target %.4g), predicted loss %.4g, %@ in %.3f s; sweep of %d budgets",
                        plan.achieved.searchedAverage, options.averageBits, plan.predictedLoss,
                        plan.solver.status.rawValue, plan.solver.seconds, targets.count))
        return (plan, sweep)
    }

    /// The searched plan through `QuantizeStage` (statistics name the plan file `plan.json`).
    func quantizeStage(_ inputs: ProfileInputs, plan: QuantizationPlan) throws -> QuantizeStage.Output {
        let formats = try PlanFormats.resolve(plan, model: inputs.description, file: "the searched plan")
        try CheckpointExport.check(options.checkpoint.format, formats: formats, plan: "the searched plan")
        return try QuantizeStage.run(inputs, formats: formats, planFile: RunArtifacts.plan, options: options.quantize) {
            progress("quantize: " + $0)
        }
    }

    /// PPL of the original and of the written checkpoint (read back from disk, as a user would),
    /// KL and top-1 agreement between them, on the same windows of the held-out text.
    func evaluateStage(_ inputs: ProfileInputs, modelDir: String, text: EvaluationText)
        throws -> (originalPPL: Double, quantized: EvaluationResult) {
        let clock = ProgressClock()
        let result = try EvaluateStage.run(checkpoint: modelDir, original: inputs.model, text: text) { done, total in
            let elapsed = clock.elapsed
            progress(String(format: "evaluate: %d/%d windows, %.0f s, ETA %.0f s", done, total, elapsed,
                            ProgressClock.eta(elapsed: elapsed, done: done, total: total)))
        }
        return (result.originalPPL ?? .nan, result)
    }

    func writeArtifacts(staging: URL, profile: SensitivityProfile, plan: QuantizationPlan, sweep: PlanSweep,
                        summary: RunSummary) throws {
        try profile.write(to: staging.appendingPathComponent(RunArtifacts.profile))
        try AtomicFile.writeJSON(plan, to: staging.appendingPathComponent(RunArtifacts.plan))
        try AtomicFile.writeJSON(sweep, to: staging.appendingPathComponent(RunArtifacts.sweep))
        let label = String(format: "searched %.4g bits", options.averageBits)
        let eval = EvalResult(label: label, averageBits: plan.achieved.searchedAverage, ppl: summary.quantizedPPL,
                              kl: summary.kl, top1Agree: summary.top1Agree, tokens: summary.evaluationTokens,
                              ctx: summary.ctx, windows: summary.windows)
        try AtomicFile.writeJSON(eval, to: staging.appendingPathComponent(RunArtifacts.eval))
        let note = String(format: "autoscheme run --avg-bits %.4g: PPL %.3f -> %.3f, KL %.4f nats/token on %@",
                          options.averageBits, summary.originalPPL, summary.quantizedPPL, summary.kl,
                          (summary.evaluationText as NSString).lastPathComponent)
        try ReportWriter.write(ReportInput(profile: profile, plans: [LabeledPlan(label: label, plan: plan)],
                                           sweep: sweep, evals: [eval], note: note), to: staging)
    }
}

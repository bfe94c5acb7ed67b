import Foundation
import Search
import Sensitivity
import IO

/// The result of `autoscheme eval --json`: `{"ppl", "kl", "top1_agree", "tokens", "ctx", "windows"}`,
/// optionally with `label` and `avg_bits`.
public struct EvalResult: Codable, Sendable, Equatable {
    /// Name shown in the report (from `--eval LABEL=FILE`, the file's `label`, or the file name).
    public var label: String?
    /// Average bits per weight of the evaluated model, when known; places the point on the frontier.
    public var averageBits: Double?
    /// Perplexity (exp of the mean NLL in nats/token), > 0.
    public var ppl: Double
    /// Mean KL divergence from the original model, nats/token (absent without `--against`).
    public var kl: Double?
    /// Fraction of tokens whose top-1 prediction matches the original model, in [0, 1].
    public var top1Agree: Double?
    public var tokens: Int
    public var ctx: Int
    public var windows: Int

    enum CodingKeys: String, CodingKey {
        case label, ppl, kl, tokens, ctx, windows
        case averageBits = "avg_bits"
        case top1Agree = "top1_agree"
    }

    public init(label: String?, averageBits: Double?, ppl: Double, kl: Double?, top1Agree: Double?,
                tokens: Int, ctx: Int, windows: Int) {
        self.label = label
        self.averageBits = averageBits
        self.ppl = ppl
        self.kl = kl
        self.top1Agree = top1Agree
        self.tokens = tokens
        self.ctx = ctx
        self.windows = windows
    }
}

/// A plan with the name the report shows for it.
public struct LabeledPlan: Sendable, Equatable {
    public var label: String
    public var plan: QuantizationPlan

    public init(label: String, plan: QuantizationPlan) {
        self.label = label
        self.plan = plan
    }
}

/// Everything one report shows.
public struct ReportInput: Sendable {
    public var profile: SensitivityProfile
    /// Plans to show; the first is the primary plan (strip, budget accounting, layer table).
    public var plans: [LabeledPlan]
    public var sweep: PlanSweep?
    public var evals: [EvalResult]
    /// Shown under the title, e.g. the command that produced the report.
    public var note: String?

    public init(profile: SensitivityProfile, plans: [LabeledPlan] = [], sweep: PlanSweep? = nil,
                evals: [EvalResult] = [], note: String? = nil) {
        self.profile = profile
        self.plans = plans
        self.sweep = sweep
        self.evals = evals
        self.note = note
    }
}

/// Reading and checking the report's input files.
public enum ReportInputLoader {
    /// Reads a plan file and checks it covers exactly the profile's layers (by name).
    /// - Throws: `ReportError` naming the file (and the layer on a mismatch).
    public static func loadPlan(_ url: URL, profile: SensitivityProfile) throws -> QuantizationPlan {
        let plan = try mapped("plan file") { try QuantizationPlan.load(from: url) }
        try check(plan, file: url.path, profile: profile)
        return plan
    }

    /// Reads a sweep file; every plan in it must match the profile.
    public static func loadSweep(_ url: URL, profile: SensitivityProfile) throws -> PlanSweep {
        let sweep = try mapped("sweep file") { try PlanSweep.load(from: url) }
        for plan in sweep.plans { try check(plan, file: url.path, profile: profile) }
        return sweep
    }

    /// Reads `FILE` or `LABEL=FILE` (split at the first `=` when the whole text is not an existing file).
    /// The label is, in order: the one given, the file's `label`, the file name without extension.
    public static func loadEval(argument: String) throws -> EvalResult {
        var label: String?, path = argument
        if !FileManager.default.fileExists(atPath: argument), let eq = argument.firstIndex(of: "=") {
            label = String(argument[..<eq])
            path = String(argument[argument.index(after: eq)...])
            guard !(label ?? "").isEmpty, !path.isEmpty else { throw ReportError.badEvalArgument(text: argument) }
        }
        let url = URL(fileURLWithPath: path)
        var result: EvalResult = try decode(url, expected: "evaluation file")
        try validate(result, file: path)
        result.label = label ?? result.label ?? url.deletingPathExtension().lastPathComponent
        return result
    }

    static func validate(_ e: EvalResult, file: String) throws {
        func bad(_ field: String, _ expected: String, _ actual: Double) -> ReportError {
            .invalidValue(file: file, field: field, expected: expected, actual: HumanNumber.significant(actual))
        }
        guard e.ppl.isFinite, e.ppl > 0 else { throw bad("ppl", "a finite number > 0", e.ppl) }
        if let kl = e.kl, !(kl.isFinite && kl >= 0) { throw bad("kl", "a finite number >= 0", kl) }
        if let t = e.top1Agree, !(0...1).contains(t) { throw bad("top1_agree", "in [0, 1]", t) }
        if let b = e.averageBits, !(b.isFinite && b > 0) { throw bad("avg_bits", "a finite number > 0", b) }
        guard e.tokens >= 0, e.ctx >= 0, e.windows >= 0 else {
            throw bad("tokens/ctx/windows", "non-negative", Double(min(e.tokens, e.ctx, e.windows)))
        }
    }

    /// Checks that `plan` has one decision per profile layer, same names in the same order.
    static func check(_ plan: QuantizationPlan, file: String, profile: SensitivityProfile) throws {
        let known = Set(profile.layers.map(\.name))
        if let extra = plan.layers.first(where: { !known.contains($0.name) }) {
            throw ReportError.mismatch(file: file, layer: extra.name, expected: "no such layer", actual: "a decision")
        }
        let planned = Set(plan.layers.map(\.name))
        if let missing = profile.layers.first(where: { !planned.contains($0.name) }) {
            throw ReportError.mismatch(file: file, layer: missing.name, expected: "the layer", actual: "no decision")
        }
        let parameters = Dictionary(profile.layers.map { ($0.name, $0.parameters) }, uniquingKeysWith: { a, _ in a })
        if let wrong = plan.layers.first(where: { parameters[$0.name] != $0.parameters }) {
            throw ReportError.mismatch(file: file, layer: wrong.name, expected: "\(parameters[wrong.name] ?? 0) parameters",
                                       actual: "\(wrong.parameters)")
        }
        guard plan.layers.count == profile.layers.count else {
            throw ReportError.mismatch(file: file, layer: "(all)", expected: "\(profile.layers.count) layers",
                                       actual: "\(plan.layers.count) decisions")
        }
    }

    /// The plan reader's errors as the report's (an invalid value passes through as it is).
    private static func mapped<T>(_ expected: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as PlanFileError {
            switch error {
            case let .unreadable(file, reason): throw ReportError.unreadable(file: file, reason: reason)
            case let .malformed(file, reason): throw ReportError.malformed(file: file, expected: expected, reason: reason)
            case let .unsupportedSchema(file, expected, found):
                throw ReportError.unsupportedSchema(file: file, expected: expected, found: found)
            case let .unknownFormat(file, layer, format):
                throw ReportError.malformed(file: file, expected: expected, reason: "layer \(layer): format \"\(format)\" is not a canonical name")
            case .invalid: throw error
            }
        }
    }

    private static func decode<T: Decodable>(_ url: URL, expected: String) throws -> T {
        let data = try InputFile.read(url) { ReportError.unreadable(file: url.path, reason: $0) }
        do { return try JSONPolicy.decode(T.self, from: data) } catch {
            throw ReportError.malformed(file: url.path, expected: expected, reason: describePlanDecoding(error))
        }
    }
}


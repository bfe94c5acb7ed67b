import Foundation

/// Errors of the plan search: bad rules, conflicting constraints, infeasible budgets.
public enum SearchError: LocalizedError, Equatable {
    /// A `--pin`/`--allow` argument does not have the expected form.
    case badRule(text: String, expected: String)
    /// A regular expression does not compile.
    case badPattern(pattern: String, reason: String)
    /// A rule or `--formats` names a format the profile does not have.
    case unknownFormat(format: String, rule: String, available: [String])
    /// Two pins give one layer (or two layers of one group) different formats.
    case conflictingPins(layer: String, first: String, second: String)
    /// Pins, allow-lists and `--formats` leave a layer's group no format.
    case noAllowedFormat(layer: String, reason: String)
    /// The target is not a positive finite number.
    case invalidBudget(value: Double)
    /// The budget is below the cheapest feasible plan.
    case budgetInfeasible(target: Double, minimum: Double, maximum: Double, narrowedBy: String)
    /// The profile has no layers to search.
    case emptyProfile
    /// `--sweep` text is not `FROM:TO:STEP` with FROM <= TO and STEP > 0.
    case badSweep(text: String)
    /// The solver failed unexpectedly.
    case solverFailed(reason: String)
    /// The plan file could not be read or written.
    case planFile(file: String, reason: String)
    /// A baseline rule (uniform format, depth heuristic) has no plan within the budget.
    case noBaselinePlan(rule: String, target: Double, reason: String)
    /// The target's runtime fuses siblings into one kernel, but `--share none` lets them differ.
    case targetNeedsSharing(target: String)
    /// `--formats` names an activation format (W4A4, W8A8) the target's runtime cannot run on any layer.
    case targetCannotRunActivations(target: String, format: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .badRule(text, expected):
            return "Rule \"\(text)\" is not of the form \(expected)."
        case let .badPattern(pattern, reason):
            return "Regular expression \"\(pattern)\" is invalid: \(reason)."
        case let .unknownFormat(format, rule, available):
            return "Format \"\(format)\" in \(rule) is not in the profile; available: \(available.joined(separator: ", "))."
        case let .conflictingPins(layer, first, second):
            return "Conflicting pins for layer \(layer): \(first) vs \(second)."
        case let .noAllowedFormat(layer, reason):
            return "No format left for layer \(layer): \(reason)."
        case let .invalidBudget(value):
            return "Average-bit target must be a finite number in (0, 64] bits per parameter, got \(value)."
        case let .budgetInfeasible(target, minimum, maximum, narrowedBy):
            return String(format: "Budget %.4g bits is infeasible: feasible range is %.4f to %.4f average bits (%@).",
                          target, minimum, maximum, narrowedBy)
        case .emptyProfile:
            return "The profile has no layers to search."
        case let .badSweep(text):
            return "Sweep \"\(text)\" is not FROM:TO:STEP with 0 < FROM <= TO <= 64, STEP > 0 and at most 100,000 budgets."
        case let .solverFailed(reason):
            return "The solver failed: \(reason)."
        case let .planFile(file, reason):
            return "Plan file \(file): \(reason)."
        case let .noBaselinePlan(rule, target, reason):
            return String(format: "No %@ plan fits %.4g bits: %@.", rule, target, reason)
        case let .targetNeedsSharing(target):
            return "Target \(target) fuses q/k/v and gate/up into one kernel each, so they must share a format; use --share vllm (the default) or patterns, not none."
        case let .targetCannotRunActivations(target, format, reason):
            return "Target \(target) cannot run \(format) on any layer (\(reason)); drop it from --formats or pick a target that runs quantized activations (autoround, llmcompressor, any)."

        }
    }
}

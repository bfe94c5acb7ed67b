import Formats
import Foundation
import Sensitivity

/// Which layers must take the same format.
public enum SharingRule: Sendable, Equatable {
    /// vLLM's fused modules: the profile's fused groups (q/k/v; gate/up) and all experts of one MoE block.
    case vllm
    /// Every layer chooses alone.
    case none
    /// Layers whose names match one of the regular expressions share a format with the other layers
    /// giving the same captured text (all capture groups joined); non-matching layers choose alone.
    case patterns([String])
}

/// Fixes the format of every layer whose name matches `pattern` (a regular expression, searched anywhere).
public struct PinRule: Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var format: QuantFormat

    public init(pattern: String, format: QuantFormat) {
        self.pattern = pattern
        self.format = format
    }

    /// Parses `REGEX=FORMAT` (split at the last `=`); the format as `QuantFormat(parsing:)` reads it.
    /// - Throws: `SearchError.badRule`, or `QuantError.unknownFormat` naming the format.
    public init(parsing text: String) throws {
        let (pattern, value) = try splitRule(text, expected: "REGEX=FORMAT")
        self.init(pattern: pattern, format: try QuantFormat(parsing: String(value)))
    }

    public var description: String { "\(pattern)=\(format)" }
}

/// Restricts every layer whose name matches `pattern` to the listed formats.
public struct AllowRule: Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var formats: [QuantFormat]

    public init(pattern: String, formats: [QuantFormat]) {
        self.pattern = pattern
        self.formats = formats
    }

    /// Parses `REGEX=FMT,FMT,...` (split at the last `=`); each format as `QuantFormat(parsing:)` reads it.
    /// - Throws: `SearchError.badRule`, or `QuantError.unknownFormat` naming the first unknown format.
    public init(parsing text: String) throws {
        let (pattern, value) = try splitRule(text, expected: "REGEX=FMT,FMT,...")
        self.init(pattern: pattern, formats: try value.split(separator: ",").map { try QuantFormat(parsing: String($0)) })
    }

    public var description: String { "\(pattern)=\(formats.map(\.name).joined(separator: ","))" }
}

/// Splits a `REGEX=VALUE` rule at its last `=` (so the regular expression may contain `=`).
/// - Throws: `SearchError.badRule` naming `expected` when either side is empty or there is no `=`.
private func splitRule(_ text: String, expected: String) throws -> (pattern: String, value: Substring) {
    guard let split = text.lastIndex(of: "="), split != text.startIndex, text.index(after: split) != text.endIndex else {
        throw SearchError.badRule(text: text, expected: expected)
    }
    return (String(text[..<split]), text[text.index(after: split)...])
}

/// Which parameters the average-bit budget is measured over.
public enum BudgetScope: String, Sendable, Codable, CaseIterable {
    /// Bits of the searched layers / parameters of the searched layers.
    case searched
    /// Bits of the whole model (fixed tensors at their stored bits) / all parameters.
    case model
}

/// Everything the search needs besides the profile.
public struct SearchOptions: Sendable, Equatable {
    /// Target average bits per counted parameter. The result never exceeds it.
    public var averageBits: Double
    public var counting: CostConvention
    public var scope: BudgetScope
    public var sharing: SharingRule
    public var pins: [PinRule]
    public var allows: [AllowRule]
    /// If set, only these formats are candidates (others are dropped for every layer).
    public var formats: [QuantFormat]?
    /// The runtime the plan is for: each layer is offered only what it loads, at the bits it stores.
    public var target: DeploymentTarget

    public init(averageBits: Double, counting: CostConvention = .storage, scope: BudgetScope = .searched,
                sharing: SharingRule = .vllm, pins: [PinRule] = [], allows: [AllowRule] = [],
                formats: [QuantFormat]? = nil, target: DeploymentTarget = .any) {
        self.target = target
        self.averageBits = averageBits
        self.counting = counting
        self.scope = scope
        self.sharing = sharing
        self.pins = pins
        self.allows = allows
        self.formats = formats
    }
}

/// Compiles a user regular expression, or throws `SearchError.badPattern`.
func compilePattern(_ pattern: String) throws -> NSRegularExpression {
    do { return try NSRegularExpression(pattern: pattern) } catch {
        throw SearchError.badPattern(pattern: pattern, reason: error.localizedDescription)
    }
}

extension NSRegularExpression {
    /// The first match anywhere in `text`.
    func firstMatch(in text: String) -> NSTextCheckingResult? {
        firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
    }
}

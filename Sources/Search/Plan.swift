import Formats
import Foundation
import Sensitivity
import IO

/// A quantization plan: one format per searched layer, with the budget it meets and why each
/// layer got its format. JSON layout (`"schema": "autoscheme.plan/1"`) in Guides/PlanSchema.md.
public struct QuantizationPlan: Codable, Sendable, Equatable {
    public static let currentSchema = "autoscheme.plan/1"

    public var schema: String
    /// Which profile the plan was searched on.
    public var source: PlanSource
    public var budget: PlanBudget
    public var achieved: AchievedBits
    /// Sum of the chosen formats' scores, nats/token (the estimator's prediction, additive over layers).
    public var predictedLoss: Double

    /// Layers whose format quantizes their inputs (W4A4, W8A8); the rest keep float activations.
    public var activationQuantizedLayers: Int { layers.filter { $0.format.activation != nil }.count }
    public var solver: SolverReport
    /// One decision per searched layer, in profile order.
    public var layers: [LayerDecision]
    /// The runtime the plan was searched for; plans written before targets existed read as `any`.
    public var target: DeploymentTarget

    enum CodingKeys: String, CodingKey {
        case schema, source, budget, achieved, solver, layers, target
        case predictedLoss = "predicted_loss"
    }

    public init(schema: String, source: PlanSource, budget: PlanBudget, achieved: AchievedBits,
                predictedLoss: Double, solver: SolverReport, layers: [LayerDecision], target: DeploymentTarget = .any) {
        self.schema = schema
        self.source = source
        self.budget = budget
        self.achieved = achieved
        self.predictedLoss = predictedLoss
        self.solver = solver
        self.layers = layers
        self.target = target
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        source = try c.decode(PlanSource.self, forKey: .source)
        budget = try c.decode(PlanBudget.self, forKey: .budget)
        achieved = try c.decode(AchievedBits.self, forKey: .achieved)
        predictedLoss = try c.decode(Double.self, forKey: .predictedLoss)
        solver = try c.decode(SolverReport.self, forKey: .solver)
        layers = try c.decode([LayerDecision].self, forKey: .layers)
        target = try c.decodeIfPresent(DeploymentTarget.self, forKey: .target) ?? .any
    }
}

/// The profile a plan came from.
public struct PlanSource: Codable, Sendable, Equatable {
    public var modelPath: String
    public var fingerprint: String
    public var estimator: String

    enum CodingKeys: String, CodingKey {
        case fingerprint, estimator
        case modelPath = "model_path"
    }
}

/// The budget a plan was searched under.
public struct PlanBudget: Codable, Sendable, Equatable {
    /// Target average bits per counted parameter; achieved never exceeds it.
    public var averageBits: Double
    public var counting: CostConvention
    /// Which parameters the average is over.
    public var scope: BudgetScope
    /// The resulting limit on the searched layers' total bits.
    public var capacityBits: Int

    enum CodingKeys: String, CodingKey {
        case counting, scope
        case averageBits = "average_bits"
        case capacityBits = "capacity_bits"
    }
}

/// Bits actually used, for the searched layers and for the whole model.
public struct AchievedBits: Codable, Sendable, Equatable {
    public var searchedBits: Int
    public var searchedParameters: Int
    /// searchedBits / searchedParameters.
    public var searchedAverage: Double
    /// Searched bits plus the fixed tensors' stored bits.
    public var modelBits: Int
    public var modelParameters: Int
    /// modelBits / modelParameters.
    public var modelAverage: Double

    enum CodingKeys: String, CodingKey {
        case searchedBits = "searched_bits"
        case searchedParameters = "searched_parameters"
        case searchedAverage = "searched_average"
        case modelBits = "model_bits"
        case modelParameters = "model_parameters"
        case modelAverage = "model_average"
    }
}

/// How the solver ended, in the plan.
public struct SolverReport: Codable, Sendable, Equatable {
    public var status: SolverStatus
    /// Predicted loss of the plan (nats/token).
    public var objective: Double
    /// Proven lower bound on any plan's loss under this budget.
    public var bound: Double
    /// The LP relaxation's bound.
    public var lpBound: Double
    /// Relative gap (objective - bound) / objective; 0 when optimal.
    public var gap: Double
    public var seconds: Double
    public var statistics: SolverStatistics

    enum CodingKeys: String, CodingKey {
        case status, objective, bound, gap, seconds, statistics
        case lpBound = "lp_bound"
    }
}

/// One layer's format and why.
public struct LayerDecision: Codable, Sendable, Equatable {
    public var name: String
    public var format: QuantFormat
    /// Bits of the layer in that format under the plan's counting.
    public var bits: Int
    public var parameters: Int
    /// The profile's score of the layer in that format, nats/token.
    public var score: Double
    public var reason: DecisionReason
}

/// Why a layer has its format.
public enum DecisionReason: Codable, Sendable, Equatable {
    /// Chosen by the solver for this layer alone.
    case solver
    /// Fixed by a pin rule (`REGEX=FORMAT`).
    case pinned(rule: String)
    /// Chosen by the solver for a group that must share one format; `with` lists the other members.
    case shared(group: String, with: [String])
    /// The chosen format was applied with a fallback the profiler noted.
    case fallback(note: String)
    /// Set by a fixed rule rather than the solver (a baseline plan: one uniform format, or a depth
    /// heuristic); `name` says which rule and which branch of it.
    case rule(name: String)

    private enum Kind: String, Codable { case solver, pinned, shared, fallback, rule }
    private enum CodingKeys: String, CodingKey { case kind, rule, group, with, note, name }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(Kind.self, forKey: .kind) {
        case .solver: self = .solver
        case .pinned: self = .pinned(rule: try c.decode(String.self, forKey: .rule))
        case .shared: self = .shared(group: try c.decode(String.self, forKey: .group),
                                     with: try c.decode([String].self, forKey: .with))
        case .fallback: self = .fallback(note: try c.decode(String.self, forKey: .note))
        case .rule: self = .rule(name: try c.decode(String.self, forKey: .name))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .solver: try c.encode(Kind.solver, forKey: .kind)
        case .pinned(let rule): try c.encode(Kind.pinned, forKey: .kind); try c.encode(rule, forKey: .rule)
        case let .shared(group, with):
            try c.encode(Kind.shared, forKey: .kind); try c.encode(group, forKey: .group); try c.encode(with, forKey: .with)
        case .fallback(let note): try c.encode(Kind.fallback, forKey: .kind); try c.encode(note, forKey: .note)
        case .rule(let name): try c.encode(Kind.rule, forKey: .kind); try c.encode(name, forKey: .name)
        }
    }
}

/// Plans over a range of budgets and their Pareto frontier (`"schema": "autoscheme.sweep/1"`).
public struct PlanSweep: Codable, Sendable, Equatable {
    public static let currentSchema = "autoscheme.sweep/1"

    public var schema: String
    /// One point per budget, ascending: achieved bits -> predicted loss (never increasing).
    public var frontier: [FrontierPoint]
    /// The plan of each point, same order.
    public var plans: [QuantizationPlan]
}

/// One budget of a sweep.
public struct FrontierPoint: Codable, Sendable, Equatable {
    public var targetBits: Double
    /// Achieved average bits in the sweep's scope.
    public var achievedBits: Double
    public var predictedLoss: Double

    enum CodingKeys: String, CodingKey {
        case targetBits = "target_bits"
        case achievedBits = "achieved_bits"
        case predictedLoss = "predicted_loss"
    }
}

extension Encodable {
    /// Pretty JSON with sorted keys, written to a temporary path and renamed over `url`.
    public func writeJSON(to url: URL) throws {
        do { try AtomicFile.writeJSON(self, to: url) } catch {
            throw SearchError.planFile(file: url.path, reason: error.localizedDescription)
        }
    }
}

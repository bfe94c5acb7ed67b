import Foundation
import IO
import Sensitivity

/// The plan search: profile + options -> optimal plan(s).
public enum PlanSearch {
    /// Finds the plan of least predicted loss whose average bits do not exceed the target.
    /// - Throws: `SearchError` for bad options, conflicting rules or an infeasible budget.
    public static func run(profile: SensitivityProfile, options: SearchOptions) throws -> QuantizationPlan {
        let problem = try SearchProblem(profile: profile, options: options)
        return try solve(problem, averageBits: options.averageBits)
    }

    /// Solves every budget in `targets` (each to proven optimality) on one prepared problem.
    public static func sweep(profile: SensitivityProfile, options: SearchOptions,
                             targets: [Double]) throws -> PlanSweep {
        let problem = try SearchProblem(profile: profile, options: options)
        let plans = try targets.sorted().map { try solve(problem, averageBits: $0) }
        let frontier = plans.map { plan in
            FrontierPoint(targetBits: plan.budget.averageBits,
                          achievedBits: problem.scope == .searched ? plan.achieved.searchedAverage : plan.achieved.modelAverage,
                          predictedLoss: plan.predictedLoss)
        }
        return PlanSweep(schema: PlanSweep.currentSchema, frontier: frontier, plans: plans)
    }

    /// Budgets FROM, FROM+STEP, ... up to TO (inclusive, within STEP/1000) from `FROM:TO:STEP`.
    public static func parseSweep(_ text: String) throws -> [Double] {
        let parts = text.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 3, parts.allSatisfy(\.isFinite), parts[0] > 0, parts[0] <= parts[1], parts[2] > 0,
              parts[1] <= Double(InputLimits.bitsPerParameter),
              (parts[1] - parts[0]) / parts[2] < 100_000 else { throw SearchError.badSweep(text: text) }
        let count = Int(((parts[1] - parts[0]) / parts[2] + 1e-3).rounded(.down)) + 1
        return (0..<count).map { parts[0] + Double($0) * parts[2] }
    }

    /// One budget on a prepared problem.
    public static func solve(_ problem: SearchProblem, averageBits target: Double) throws -> QuantizationPlan {
        guard target.isFinite, target > 0, target <= Double(InputLimits.bitsPerParameter) else {
            throw SearchError.invalidBudget(value: target)
        }
        let capacity = problem.capacity(averageBits: target)
        let instance = problem.instance(capacity: capacity)
        guard instance.minimumBits <= capacity else { throw problem.infeasible(target) }
        let solution = try KnapsackSolver.solve(instance)
        return makePlan(problem, solution: solution, target: target, capacity: capacity)
    }

    private static func makePlan(_ problem: SearchProblem, solution: KnapsackSolution, target: Double,
                                 capacity: Int) -> QuantizationPlan {
        let profile = problem.profile
        var decisions = [LayerDecision?](repeating: nil, count: profile.layers.count)
        for (g, group) in problem.groups.enumerated() {
            let format = profile.formats[group.allowed[solution.choice[g]]]
            for m in group.members {
                let layer = profile.layers[m]
                let candidate = layer.candidate(format) ?? layer.candidates[0]
                let reason: DecisionReason
                if let pin = group.pin {
                    reason = .pinned(rule: pin.description)
                } else if case let .storedAs(_, note) = problem.target.verdict(format, shape: layer.tensorShape) {
                    reason = .fallback(note: "target \(problem.target.rawValue): " + note)
                } else if let note = candidate.fallback {
                    reason = .fallback(note: note)
                } else if group.members.count > 1 {
                    reason = .shared(group: group.id, with: group.members.filter { $0 != m }.map { profile.layers[$0].name })
                } else {
                    reason = .solver
                }
                let bits = SearchProblem.layerBits(layer, candidate, counting: problem.counting, target: problem.target)
                decisions[m] = LayerDecision(name: layer.name, format: format, bits: bits,
                                             parameters: layer.parameters, score: candidate.score, reason: reason)
            }
        }
        let report = SolverReport(status: solution.status, objective: solution.objective, bound: solution.bound,
                                  lpBound: solution.lpBound, gap: solution.gap, seconds: solution.seconds,
                                  statistics: solution.statistics)
        return problem.plan(layers: decisions.compactMap { $0 }, averageBits: target, capacity: capacity, solver: report)
    }
}

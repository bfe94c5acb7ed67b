import Foundation
import IO
import Sensitivity

/// The plan search: profile + options -> optimal plan(s).
public enum PlanSearch {
    /// Finds the plan of least predicted loss whose average bits do not exceed the target.
    /// - Throws: `SearchError` for bad options, conflicting rules or an infeasible budget.
    public static func run(profile: SensitivityProfile, options: SearchOptions) throws -> QuantizationPlan {
        let problems = try packingProblems(profile: profile, options: options)
        return try best(problems, averageBits: options.averageBits)
    }

    /// Solves every budget in `targets` (each to proven optimality) on one prepared problem.
    public static func sweep(profile: SensitivityProfile, options: SearchOptions,
                             targets: [Double]) throws -> PlanSweep {
        let problems = try packingProblems(profile: profile, options: options)
        let problem = problems[0]
        let plans = try targets.sorted().map { try best(problems, averageBits: $0) }
        let frontier = plans.map { plan in
            FrontierPoint(targetBits: plan.budget.averageBits,
                          achievedBits: problem.scope == .searched ? plan.achieved.searchedAverage : plan.achieved.modelAverage,
                          predictedLoss: plan.predictedLoss)
        }
        return PlanSweep(schema: PlanSweep.currentSchema, frontier: frontier, plans: plans)
    }

    /// The problems whose plans a checkpoint can hold. auto-round loads one packing format per
    /// checkpoint, and its int kernels' (`auto_round:auto_gptq`) is not its W4A4 FP4 kernels'
    /// (`auto_round:llm_compressor`): with both among the candidates, the target's plans are either
    /// int (and bf16) or W4A4 FP4 (and bf16), so there are two problems and the better plan wins.
    /// One problem otherwise.
    static func packingProblems(profile: SensitivityProfile, options: SearchOptions) throws -> [SearchProblem] {
        let pool = options.formats ?? profile.formats
        let fp4 = pool.filter { $0.activation != nil && ($0.family == .mxfp4 || $0.family == .nvfp4) }
        guard options.target == .autoround, !fp4.isEmpty, pool.contains(where: { $0.family == .int }) else {
            return [try SearchProblem(profile: profile, options: options)]
        }
        var int = options, w4a4 = options
        int.formats = pool.filter { !fp4.contains($0) }
        w4a4.formats = pool.filter { $0.family != .int }
        // A pin or allow-list may rule one side out; the other stands alone then.
        var problems: [SearchProblem] = [], firstError: Error?
        for o in [int, w4a4] {
            do { problems.append(try SearchProblem(profile: profile, options: o)) } catch { if firstError == nil { firstError = error } }
        }
        guard !problems.isEmpty else { throw firstError! }
        return problems
    }

    /// The least-loss plan of `problems` at `averageBits`; the first problem's error if none is feasible.
    static func best(_ problems: [SearchProblem], averageBits: Double) throws -> QuantizationPlan {
        var plans: [QuantizationPlan] = [], firstError: Error?
        for p in problems {
            do { plans.append(try solve(p, averageBits: averageBits)) } catch { if firstError == nil { firstError = error } }
        }
        guard let plan = plans.min(by: { $0.predictedLoss < $1.predictedLoss }) else { throw firstError! }
        return plan
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

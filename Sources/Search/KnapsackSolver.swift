import Foundation

/// How the solver ended.
public enum SolverStatus: String, Codable, Sendable {
    /// Proven optimal (bound = objective).
    case optimal
    /// A feasible solution without an optimality proof (GLPK stopped early).
    case feasible
}

/// What the solver did, for reports and benchmarks.
public struct SolverStatistics: Codable, Sendable, Equatable {
    /// Choices given (groups x formats after allow-lists).
    public var choices: Int
    /// Choices left after removing dominated ones.
    public var nonDominated: Int
    /// Choices left after reduced-cost fixing against the greedy incumbent.
    public var afterFixing: Int
    /// Groups that still had more than one choice and went to GLPK (0 = proven by the bound alone).
    public var groupsSentToMIP: Int

    enum CodingKeys: String, CodingKey {
        case choices
        case nonDominated = "non_dominated"
        case afterFixing = "after_fixing"
        case groupsSentToMIP = "groups_sent_to_mip"
    }
}

/// An optimal (or, if GLPK stops early, feasible) solution of a `KnapsackInstance`.
public struct KnapsackSolution: Sendable, Equatable {
    /// Choice index per group.
    public var choice: [Int]
    /// Total score of the choices.
    public var objective: Double
    /// Total bits of the choices (<= capacity).
    public var bits: Int
    /// Proven lower bound on the optimum (= objective when optimal).
    public var bound: Double
    /// The LP relaxation's optimum (root bound before branching).
    public var lpBound: Double
    /// Relative gap (objective - bound) / max(|objective|, 1e-12).
    public var gap: Double
    public var status: SolverStatus
    public var statistics: SolverStatistics
    /// Wall-clock seconds.
    public var seconds: Double
}

/// Solves multiple-choice knapsacks exactly, fast by modelling:
/// 1. drop dominated choices (safe for the integer problem);
/// 2. LP relaxation over the convex hulls -> dual price lambda and a greedy incumbent (upper bound);
/// 3. reduced-cost fixing: a choice whose reduced cost `score + lambda x bits - (group minimum)`
///    exceeds `incumbent - Lagrangian bound` cannot be in a solution better than the incumbent, so
///    it is removed (a proof, not a heuristic);
/// 4. the groups still holding several choices go to GLPK (`glp_intopt`), the rest are fixed.
public enum KnapsackSolver {
    /// - Throws: `SearchError.solverFailed` if the capacity is below the cheapest solution or GLPK fails.
    /// - Complexity: O(C log C) for C choices before the MIP; the MIP sees only unfixed groups.
    public static func solve(_ instance: KnapsackInstance) throws -> KnapsackSolution {
        let start = ContinuousClock.now
        guard instance.minimumBits <= instance.capacity else {
            throw SearchError.solverFailed(reason: "capacity \(instance.capacity) below the minimum \(instance.minimumBits) bits")
        }
        let kept = instance.bits.indices.map { nonDominatedChoices(bits: instance.bits[$0], scores: instance.scores[$0]) }
        let base = kept.indices.map { instance.bits[$0][kept[$0][0]] }
        let relaxation = KnapsackRelaxation(instance: instance, kept: kept)
        let (lpBound, minima) = KnapsackRelaxation.lagrangianBound(
            instance: instance, kept: kept, lambda: relaxation.lambda, baseBits: base)
        var best = relaxation.incumbent
        var upper = objective(best, instance)
        let tolerance = 1e-9 * max(1, abs(upper))
        let slack = upper - lpBound + tolerance
        // Reduced-cost fixing; the incumbent's own choice always stays.
        let open: [[Int]] = kept.indices.map { g in
            kept[g].filter { j in
                j == best[g] || instance.scores[g][j] + relaxation.lambda * Double(instance.bits[g][j] - base[g]) - minima[g] <= slack
            }
        }
        let statistics = SolverStatistics(
            choices: instance.bits.reduce(0) { $0 + $1.count }, nonDominated: kept.reduce(0) { $0 + $1.count },
            afterFixing: open.reduce(0) { $0 + $1.count }, groupsSentToMIP: open.filter { $0.count > 1 }.count)
        var status = SolverStatus.optimal
        var bound = upper
        if statistics.groupsSentToMIP > 0 {
            let outcome = try solveOpen(open, instance: instance, base: base)
            if let improved = outcome.choice, objective(improved, instance) < upper {
                best = improved
                upper = objective(best, instance)
            }
            status = outcome.provenOptimal ? .optimal : .feasible
            bound = outcome.provenOptimal ? upper : lpBound
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return KnapsackSolution(
            choice: best, objective: upper, bits: totalBits(best, instance), bound: bound, lpBound: lpBound,
            gap: (upper - bound) / max(abs(upper), 1e-12), status: status, statistics: statistics, seconds: seconds)
    }

    /// Sends the groups with several open choices to GLPK with the fixed groups' bits taken out of the
    /// capacity; returns a full choice vector. If GLPK's tolerance lets the budget row slip by a few
    /// bits, the capacity is tightened by the excess and the MIP solved again.
    private static func solveOpen(_ open: [[Int]], instance: KnapsackInstance, base: [Int]) throws -> GLPKSolver.Result {
        let free = open.indices.filter { open[$0].count > 1 }
        let fixedBits = open.indices.reduce(0) { total, g in
            total + (open[g].count == 1 ? instance.bits[g][open[g][0]] - base[g] : 0)
        }
        let baseTotal = base.reduce(0, +)
        var capacity = instance.capacity - baseTotal - fixedBits
        let bits = free.map { g in open[g].map { instance.bits[g][$0] - base[g] } }
        let scores = free.map { g in open[g].map { instance.scores[g][$0] } }
        for attempt in 0..<4 {
            let result = try GLPKSolver.solve(bits: bits, scores: scores, capacity: capacity)
            guard let local = result.choice else { return GLPKSolver.Result(choice: nil, provenOptimal: false) }
            let used = free.indices.reduce(0) { $0 + bits[$1][local[$1]] }
            if used <= capacity {
                var choice = open.map { $0[0] }
                for (position, g) in free.enumerated() { choice[g] = open[g][local[position]] }
                return GLPKSolver.Result(choice: choice, provenOptimal: result.provenOptimal && attempt == 0)
            }
            capacity -= used - capacity
        }
        return GLPKSolver.Result(choice: nil, provenOptimal: false)
    }

    static func objective(_ choice: [Int], _ instance: KnapsackInstance) -> Double {
        choice.indices.reduce(0) { $0 + instance.scores[$1][choice[$1]] }
    }

    static func totalBits(_ choice: [Int], _ instance: KnapsackInstance) -> Int {
        choice.indices.reduce(0) { $0 + instance.bits[$1][choice[$1]] }
    }
}

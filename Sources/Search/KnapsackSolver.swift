import Foundation

/// How the solver ended.
public enum SolverStatus: String, Codable, Sendable {
    /// Proven optimal (bound = objective).
    case optimal
    /// A feasible solution without an optimality proof (GLPK stopped early).
    case feasible
    /// Built by a fixed rule (a baseline plan), not by the solver: nothing is proven, the bound is
    /// the trivial 0 (scores are >= 0).
    case rule
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
    /// What proved optimality: `bound` (fixing left one choice per group), `glpk`, `dynamic-program`.
    public var prover: String

    enum CodingKeys: String, CodingKey {
        case prover
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

/// Which exact method finishes the groups that reduced-cost fixing leaves open.
public enum Prover: String, Codable, Sendable, CaseIterable {
    /// GLPK for small residual problems (up to `glpkGroupLimit` groups, within `glpkMilliseconds`);
    /// the Pareto dynamic program otherwise or if GLPK has not finished its proof.
    case automatic
    /// GLPK's branch-and-cut only (no time limit).
    case glpk
    /// The Pareto dynamic program only.
    case dynamicProgram = "dynamic-program"
}

/// Solves multiple-choice knapsacks exactly, fast by modelling:
/// 1. drop dominated choices (safe for the integer problem);
/// 2. LP relaxation over the convex hulls -> dual price lambda and a greedy incumbent (upper bound);
/// 3. reduced-cost fixing: a choice whose reduced cost `score + lambda x bits - (group minimum)`
///    exceeds `incumbent - Lagrangian bound` cannot be in a solution better than the incumbent, so
///    it is removed (a proof, not a heuristic);
/// 4. the groups still holding several choices go to GLPK (`glp_intopt`) or the Pareto dynamic
///    program (both exact), the rest are fixed.
public enum KnapsackSolver {
    /// Largest residual problem the automatic prover gives to GLPK first.
    public static let glpkGroupLimit = 24
    /// GLPK's time limit in automatic mode, milliseconds (soft: GLPK checks it between nodes).
    public static let glpkMilliseconds: Int32 = 100

    /// - Throws: `SearchError.solverFailed` if the capacity is below the cheapest solution or GLPK fails.
    /// - Complexity: O(C log C) for C choices before the residual problem, which sees only open groups.
    public static func solve(_ instance: KnapsackInstance, prover: Prover = .automatic) throws -> KnapsackSolution {
        let start = ContinuousClock.now
        guard instance.minimumBits <= instance.capacity else {
            throw SearchError.solverFailed(reason: "capacity \(instance.capacity) below the minimum \(instance.minimumBits) bits")
        }
        let kept = instance.bits.indices.map { nonDominatedChoices(bits: instance.bits[$0], scores: instance.scores[$0]) }
        let base = kept.indices.map { instance.bits[$0][kept[$0][0]] }
        let relaxation = KnapsackRelaxation(instance: instance, kept: kept)
        let lambda = relaxation.lambda
        let (lpBound, minima) = KnapsackRelaxation.lagrangianBound(
            instance: instance, kept: kept, lambda: lambda, baseBits: base)
        var best = relaxation.incumbent
        var upper = objective(best, instance)
        let fixing = ReducedCostFixing(instance: instance, kept: kept, base: base, lambda: lambda,
                                       minima: minima, lpBound: lpBound)
        var open = fixing.open(incumbent: best)
        // Sharpen the incumbent on growing cores (Pisinger) while many groups stay open: each better
        // incumbent shrinks the slack and fixes more choices.
        for size in [32, 128, 512] {
            let openGroups = open.filter { $0.count > 1 }.count
            guard openGroups > KnapsackSolver.glpkGroupLimit, openGroups > size else { break }
            guard let improved = fixing.improveOnCore(best, open: open, size: size),
                  objective(improved, instance) < upper else { continue }
            best = improved
            upper = objective(best, instance)
            open = fixing.open(incumbent: best)
        }
        var statistics = SolverStatistics(
            choices: instance.bits.reduce(0) { $0 + $1.count }, nonDominated: kept.reduce(0) { $0 + $1.count },
            afterFixing: open.reduce(0) { $0 + $1.count }, groupsSentToMIP: open.filter { $0.count > 1 }.count,
            prover: "bound")
        var provenOptimal = true
        if statistics.groupsSentToMIP > 0 {
            let nearest = open.indices.map { g in
                open[g].filter { $0 != best[g] }.map { fixing.reducedCost(g, $0) }.min() ?? 0
            }
            let residual = Residual(open: open, instance: instance, base: base, nearest: nearest)
            let outcome = try residual.solve(prover: prover, lambda: lambda, incumbent: upper)
            statistics.prover = outcome.prover
            provenOptimal = outcome.provenOptimal
            if let improved = outcome.choice, objective(improved, instance) < upper {
                best = improved
                upper = objective(best, instance)
            }
        }
        let bound = provenOptimal ? upper : lpBound
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return KnapsackSolution(
            choice: best, objective: upper, bits: totalBits(best, instance), bound: bound, lpBound: lpBound,
            gap: (upper - bound) / max(abs(upper), 1e-12), status: provenOptimal ? .optimal : .feasible,
            statistics: statistics, seconds: seconds)
    }

    static func objective(_ choice: [Int], _ instance: KnapsackInstance) -> Double {
        choice.indices.reduce(0) { $0 + instance.scores[$1][choice[$1]] }
    }

    static func totalBits(_ choice: [Int], _ instance: KnapsackInstance) -> Int {
        choice.indices.reduce(0) { $0 + instance.bits[$1][choice[$1]] }
    }
}

/// Reduced-cost fixing against an incumbent, and incumbent improvement on a core of open groups.
private struct ReducedCostFixing {
    let instance: KnapsackInstance
    let kept: [[Int]]
    let base: [Int]
    let lambda: Double
    let minima: [Double]
    let lpBound: Double

    /// Reduced cost of choice j of group g: score + lambda x bits - the group's minimum (>= 0).
    func reducedCost(_ g: Int, _ j: Int) -> Double {
        instance.scores[g][j] + lambda * Double(instance.bits[g][j] - base[g]) - minima[g]
    }

    /// The kept choices whose reduced cost fits in `incumbent objective - bound` (plus 1e-9
    /// rounding tolerance): any solution using another choice scores more than the incumbent.
    func open(incumbent: [Int]) -> [[Int]] {
        let upper = KnapsackSolver.objective(incumbent, instance)
        // Tolerance covering the rounding of sums of n terms (n ulps of each sum's magnitude, x4).
        let tolerance = 4 * Double(kept.count + 16) * Double.ulpOfOne * (abs(upper) + abs(lpBound) + 1e-300)
        let slack = upper - lpBound + tolerance
        return kept.indices.map { g in kept[g].filter { $0 == incumbent[g] || reducedCost(g, $0) <= slack } }
    }

    /// Solves exactly over the `size` open groups whose nearest alternative is cheapest in reduced
    /// cost, holding the others at the incumbent. Returns a strictly better full solution, or nil.
    func improveOnCore(_ incumbent: [Int], open: [[Int]], size: Int) -> [Int]? {
        let candidates = open.indices.filter { open[$0].count > 1 }
        let nearest = candidates.map { g in open[g].filter { $0 != incumbent[g] }.map { reducedCost(g, $0) }.min() ?? 0 }
        // The `size` groups nearest to switching, then processed most-decided first (fewer DP states).
        let core = zip(candidates, nearest).sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(size).reversed().map(\.0)
        let inCore = Set(core)
        var capacity = instance.capacity, cutoff = 0.0
        for g in instance.bits.indices {
            if inCore.contains(g) {
                capacity -= base[g]
                cutoff += instance.scores[g][incumbent[g]]
            } else {
                capacity -= instance.bits[g][incumbent[g]]
            }
        }
        let bits = core.map { g in open[g].map { instance.bits[g][$0] - base[g] } }
        let scores = core.map { g in open[g].map { instance.scores[g][$0] } }
        guard let local = ParetoDynamicProgram.solve(bits: bits, scores: scores, capacity: capacity,
                                                     lambda: lambda, incumbent: cutoff) else { return nil }
        var choice = incumbent
        for (position, g) in core.enumerated() { choice[g] = open[g][local[position]] }
        return choice
    }
}

/// The open groups after fixing, with the fixed groups' bits taken out of the capacity.
private struct Residual {
    let open: [[Int]]
    let free: [Int]
    let bits: [[Int]]
    let scores: [[Double]]
    let capacity: Int
    /// Score of the fixed groups (subtracted from the incumbent for the residual's cutoff).
    let fixedScore: Double

    /// - Parameter nearest: per group, the least reduced cost of a choice other than the incumbent's;
    ///   open groups are ordered most-decided first, which keeps the dynamic program's states few.
    init(open: [[Int]], instance: KnapsackInstance, base: [Int], nearest: [Double]) {
        self.open = open
        free = open.indices.filter { open[$0].count > 1 }.sorted { nearest[$0] != nearest[$1] ? nearest[$0] > nearest[$1] : $0 < $1 }
        var fixedBits = 0, fixedScore = 0.0
        for g in open.indices where open[g].count == 1 {
            fixedBits += instance.bits[g][open[g][0]] - base[g]
            fixedScore += instance.scores[g][open[g][0]]
        }
        self.fixedScore = fixedScore
        capacity = instance.capacity - base.reduce(0, +) - fixedBits
        bits = free.map { g in open[g].map { instance.bits[g][$0] - base[g] } }
        scores = free.map { g in open[g].map { instance.scores[g][$0] } }
    }

    struct Outcome {
        var choice: [Int]?
        var provenOptimal: Bool
        var prover: String
    }

    func solve(prover: Prover, lambda: Double, incumbent: Double) throws -> Outcome {
        if prover == .glpk || (prover == .automatic && free.count <= KnapsackSolver.glpkGroupLimit) {
            let limit = prover == .glpk ? nil : KnapsackSolver.glpkMilliseconds
            let result = try solveWithGLPK(timeLimit: limit)
            if result.provenOptimal || prover == .glpk {
                return Outcome(choice: result.choice, provenOptimal: result.provenOptimal, prover: "glpk")
            }
        }
        let local = ParetoDynamicProgram.solve(bits: bits, scores: scores, capacity: capacity, lambda: lambda,
                                               incumbent: incumbent - fixedScore)
        return Outcome(choice: local.map(expand), provenOptimal: true, prover: "dynamic-program")
    }

    /// GLPK on the residual. If GLPK's feasibility tolerance lets the budget row slip by a few bits,
    /// the capacity is tightened by the excess and the MIP solved again (then unproven).
    private func solveWithGLPK(timeLimit: Int32?) throws -> GLPKSolver.Result {
        var limit = capacity
        for attempt in 0..<4 {
            let result = try GLPKSolver.solve(bits: bits, scores: scores, capacity: limit, timeLimit: timeLimit)
            guard let local = result.choice else { return result }
            let used = free.indices.reduce(0) { $0 + bits[$1][local[$1]] }
            if used <= capacity {
                return GLPKSolver.Result(choice: expand(local), provenOptimal: result.provenOptimal && attempt == 0)
            }
            limit -= used - capacity
        }
        return GLPKSolver.Result(choice: nil, provenOptimal: false)
    }

    private func expand(_ local: [Int]) -> [Int] {
        var choice = open.map { $0[0] }
        for (position, g) in free.enumerated() { choice[g] = open[g][local[position]] }
        return choice
    }
}

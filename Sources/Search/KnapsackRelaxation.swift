/// The LP relaxation of a multiple-choice knapsack and a greedy integer solution from it.
///
/// Every group starts at its cheapest non-dominated choice; the hull steps of all groups (moving
/// one group to its next hull point) are taken in order of falling efficiency (score saved per bit).
/// The LP optimum takes them until the first that does not fit and a fraction of that one; its
/// efficiency is the budget row's dual price `lambda` (0 if everything fits). The greedy solution
/// skips steps that do not fit and keeps going with other groups, then upgrades groups to any
/// non-dominated choice that still fits.
struct KnapsackRelaxation {
    /// Dual price of one bit (score per bit, >= 0).
    let lambda: Double
    /// Greedy integer solution: a choice index per group (into the instance's original choices).
    let incumbent: [Int]

    /// - Parameter kept: the non-dominated choices of every group (from `nonDominatedChoices`).
    /// - Complexity: O(S log S) for S hull steps in all groups, plus O(total choices).
    init(instance: KnapsackInstance, kept: [[Int]]) {
        let bits = instance.bits, scores = instance.scores
        var level = kept.map { _ in 0 }  // position in the group's hull
        let hulls = kept.indices.map { lowerHull(bits: bits[$0], scores: scores[$0], points: kept[$0]) }
        var steps: [(efficiency: Double, group: Int, index: Int)] = []
        steps.reserveCapacity(hulls.reduce(0) { $0 + $1.count - 1 })
        for (g, hull) in hulls.enumerated() where hull.count > 1 {
            for i in 1..<hull.count {
                let saved = scores[g][hull[i - 1]] - scores[g][hull[i]]
                steps.append((saved / Double(bits[g][hull[i]] - bits[g][hull[i - 1]]), g, i))
            }
        }
        steps.sort { a, b in
            a.efficiency != b.efficiency ? a.efficiency > b.efficiency
                : (a.group != b.group ? a.group < b.group : a.index < b.index)
        }
        var remaining = instance.capacity - kept.indices.reduce(0) { $0 + bits[$1][kept[$1][0]] }
        var critical: Double? = nil
        var blocked = [Bool](repeating: false, count: kept.count)
        for step in steps where !blocked[step.group] && level[step.group] == step.index - 1 {
            let hull = hulls[step.group]
            let extra = bits[step.group][hull[step.index]] - bits[step.group][hull[step.index - 1]]
            if extra <= remaining {
                remaining -= extra
                level[step.group] = step.index
            } else {
                if critical == nil { critical = step.efficiency }
                blocked[step.group] = true
            }
        }
        lambda = max(critical ?? 0, 0)
        var choice = hulls.indices.map { hulls[$0][level[$0]] }
        Self.upgrade(&choice, remaining: &remaining, instance: instance, kept: kept)
        incumbent = choice
    }

    /// One pass over the groups: move each to its lowest-score kept choice that fits the leftover bits.
    private static func upgrade(_ choice: inout [Int], remaining: inout Int, instance: KnapsackInstance,
                                kept: [[Int]]) {
        for g in choice.indices {
            let current = choice[g]
            var best = current
            for j in kept[g] where instance.scores[g][j] < instance.scores[g][best]
                && instance.bits[g][j] - instance.bits[g][current] <= remaining {
                best = j
            }
            remaining -= instance.bits[g][best] - instance.bits[g][current]
            choice[g] = best
        }
    }

    /// The Lagrangian bound at `lambda`: sum over groups of min_j (score + lambda x bits) minus
    /// lambda x capacity, with bits measured from each group's cheapest kept choice for precision.
    /// Every feasible solution scores at least this; at the LP dual price it equals the LP optimum.
    static func lagrangianBound(instance: KnapsackInstance, kept: [[Int]], lambda: Double,
                                baseBits: [Int]) -> (bound: Double, groupMinimum: [Double]) {
        var total = 0.0
        var baseTotal = 0
        var minima = [Double](repeating: 0, count: kept.count)
        for g in kept.indices {
            var best = Double.infinity
            for j in kept[g] {
                best = min(best, instance.scores[g][j] + lambda * Double(instance.bits[g][j] - baseBits[g]))
            }
            minima[g] = best
            total += best
            baseTotal += baseBits[g]
        }
        return (total - lambda * Double(instance.capacity - baseTotal), minima)
    }
}

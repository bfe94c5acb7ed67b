/// A multiple-choice knapsack: pick exactly one choice per group, total bits <= capacity, minimize
/// the total score. Bits are exact integers; scores are nats/token (>= 0 in profiles, any finite here).
public struct KnapsackInstance: Sendable, Equatable {
    /// bits[g][j]: bits of choice j of group g.
    public var bits: [[Int]]
    /// scores[g][j]: score of choice j of group g.
    public var scores: [[Double]]
    /// Largest allowed total of bits.
    public var capacity: Int

    public init(bits: [[Int]], scores: [[Double]], capacity: Int) {
        precondition(bits.count == scores.count, "bits and scores must have one row per group")
        precondition(zip(bits, scores).allSatisfy { $0.count == $1.count && !$0.isEmpty },
                     "every group needs at least one choice, with one score per bit cost")
        self.bits = bits
        self.scores = scores
        self.capacity = capacity
    }

    public var groupCount: Int { bits.count }

    /// Total bits of the cheapest choice of every group (the least capacity that is feasible).
    public var minimumBits: Int { bits.reduce(0) { $0 + ($1.min() ?? 0) } }
    /// Total bits of the most expensive choice of every group.
    public var maximumBits: Int { bits.reduce(0) { $0 + ($1.max() ?? 0) } }
}

/// The non-dominated choices of one group, sorted by bits ascending (scores then strictly descend):
/// a choice is dropped when another has bits <= and score <= (ties keep the lowest index).
/// Dropping these never changes the optimum of the integer problem: any solution using a dominated
/// choice stays feasible and no worse after swapping in its dominator.
/// - Complexity: O(k log k) for k choices.
func nonDominatedChoices(bits: [Int], scores: [Double]) -> [Int] {
    let order = bits.indices.sorted { a, b in
        bits[a] != bits[b] ? bits[a] < bits[b] : (scores[a] != scores[b] ? scores[a] < scores[b] : a < b)
    }
    var kept: [Int] = []
    var bestScore = Double.infinity
    for j in order where scores[j] < bestScore {
        kept.append(j)
        bestScore = scores[j]
    }
    return kept
}

/// The lower convex hull of a group's non-dominated points (bits ascending, scores descending):
/// positions into `points` whose successive slopes strictly increase (efficiency strictly falls).
/// Only the LP relaxation uses it; the integer problem keeps every non-dominated choice.
/// - Complexity: O(k).
func lowerHull(bits: [Int], scores: [Double], points: [Int]) -> [Int] {
    var hull: [Int] = []
    for p in points {
        while hull.count >= 2 {
            let a = hull[hull.count - 2], b = hull[hull.count - 1]
            // Drop b when it lies on or above the segment a -> p.
            let lhs = (scores[b] - scores[a]) * Double(bits[p] - bits[a])
            let rhs = (scores[p] - scores[a]) * Double(bits[b] - bits[a])
            if lhs >= rhs { hull.removeLast() } else { break }
        }
        hull.append(p)
    }
    return hull
}

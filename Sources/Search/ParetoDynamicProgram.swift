/// An exact solver for the groups left open after reduced-cost fixing: a dynamic program over
/// Pareto-optimal partial states (bits used, score so far), as in Pisinger's core algorithms for the
/// multiple-choice knapsack.
///
/// Groups are added one at a time. A partial state is dropped when another has no more bits and no
/// more score (it can never finish better), when the cheapest completion exceeds the capacity, or
/// when a Lagrangian bound `score + sum over later groups of min_j(score + price x bits) -
/// price x (capacity - bits)`, for any of a few prices around lambda, exceeds the incumbent (no completion can beat the incumbent). Each
/// rule only removes states that cannot lead to a better solution, so the best final state is optimal.
enum ParetoDynamicProgram {
    private struct State {
        var bits: Int
        var score: Double
        /// Index into the choice trail of the last decision (-1 for the empty state).
        var trail: Int
    }

    /// - Parameters:
    ///   - bits, scores: choices of the open groups (bits relative to any per-group offset).
    ///   - capacity: budget for the same bits.
    ///   - lambda: a dual price >= 0 (any value keeps the bound valid; the LP price makes it tight).
    ///   - incumbent: objective of a known feasible solution (prunes states that cannot beat it).
    /// - Returns: the choice per group of an optimal solution better than or equal to `incumbent`
    ///   (within 1e-12 relative), or nil if none is (then the incumbent is optimal).
    /// - Complexity: O(sum over groups of states x choices); states are bounded by the pruning.
    static func solve(bits: [[Int]], scores: [[Double]], capacity: Int, lambda: Double,
                      incumbent: Double) -> [Int]? {
        let n = bits.count
        // Bounds at several prices around lambda: a state using more bits than the LP is bounded
        // best by a higher price, one using fewer by a lower one; each price gives a valid bound.
        let prices = [0, 0.5, 0.75, 0.9, 0.97, 1, 1.03, 1.1, 1.33, 2].map { $0 * lambda }
        var restMinBits = [Int](repeating: 0, count: n + 1)
        var restPriced = [[Double]](repeating: [Double](repeating: 0, count: prices.count), count: n + 1)
        for g in stride(from: n - 1, through: 0, by: -1) {
            restMinBits[g] = restMinBits[g + 1] + (bits[g].min() ?? 0)
            for (k, price) in prices.enumerated() {
                let priced = bits[g].indices.map { scores[g][$0] + price * Double(bits[g][$0]) }
                restPriced[g][k] = restPriced[g + 1][k] + (priced.min() ?? 0)
            }
        }
        func bounded(_ score: Double, _ used: Int, _ rest: [Double]) -> Bool {
            let free = Double(capacity - used)
            for k in prices.indices where score + rest[k] - prices[k] * free > cutoff { return false }
            return true
        }
        let cutoff = incumbent + 1e-12 * max(1, abs(incumbent))
        var trail: [(parent: Int, choice: Int)] = []
        var states = [State(bits: 0, score: 0, trail: -1)]
        for g in 0..<n {
            var next: [State] = []
            next.reserveCapacity(states.count * bits[g].count)
            for state in states {
                for j in bits[g].indices {
                    let used = state.bits + bits[g][j], score = state.score + scores[g][j]
                    guard used + restMinBits[g + 1] <= capacity, bounded(score, used, restPriced[g + 1]) else { continue }
                    trail.append((state.trail, j))
                    next.append(State(bits: used, score: score, trail: trail.count - 1))
                }
            }
            next.sort { $0.bits != $1.bits ? $0.bits < $1.bits : $0.score < $1.score }
            states.removeAll(keepingCapacity: true)
            for state in next where state.score < (states.last?.score ?? .infinity) {
                states.append(state)
            }
            if states.isEmpty { return nil }
        }
        guard let best = states.min(by: { $0.score < $1.score }) else { return nil }
        var choice = [Int](repeating: 0, count: n)
        var cursor = best.trail
        for g in stride(from: n - 1, through: 0, by: -1) {
            choice[g] = trail[cursor].choice
            cursor = trail[cursor].parent
        }
        return choice
    }
}

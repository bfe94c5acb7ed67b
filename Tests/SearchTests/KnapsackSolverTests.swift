import XCTest
import TensorCore
@testable import Search

/// The solver against two independent exact methods: exhaustive enumeration and a dynamic program.
final class KnapsackSolverTests: XCTestCase {
    /// Random instance: scores fall roughly with bits, with noise (so some choices are dominated).
    static func randomInstance(groups: Int, choices: Int, maxBits: Int, seed: UInt64,
                               fill: Double) -> KnapsackInstance {
        var rng = SplitMix64(seed: seed)
        var bits: [[Int]] = [], scores: [[Double]] = []
        for _ in 0..<groups {
            let row = (0..<choices).map { _ in 1 + Int(rng.next() % UInt64(maxBits)) }
            bits.append(row)
            scores.append(row.map { b in Double(maxBits - b) * Double(rng.nextUnitFloat()) + Double(rng.nextUnitFloat()) })
        }
        let low = bits.reduce(0) { $0 + $1.min()! }, high = bits.reduce(0) { $0 + $1.max()! }
        return KnapsackInstance(bits: bits, scores: scores, capacity: low + Int(Double(high - low) * fill))
    }

    /// Exhaustive depth-first enumeration; returns the optimal objective. It only skips branches
    /// that cannot fit (cheapest remaining bits) or cannot win (lowest remaining scores).
    static func bruteForce(_ instance: KnapsackInstance) -> Double {
        var best = Double.infinity
        let suffixMin = (0...instance.groupCount).map { start in
            instance.bits[start...].reduce(0) { $0 + $1.min()! }
        }
        let suffixScore = (0...instance.groupCount).map { start in
            instance.scores[start...].reduce(0.0) { $0 + $1.min()! }
        }
        func visit(_ g: Int, _ bits: Int, _ score: Double) {
            if bits + suffixMin[g] > instance.capacity || score + suffixScore[g] >= best { return }
            if g == instance.groupCount { best = min(best, score); return }
            for j in instance.bits[g].indices {
                visit(g + 1, bits + instance.bits[g][j], score + instance.scores[g][j])
            }
        }
        visit(0, 0, 0)
        return best
    }

    /// Dynamic program over exact integer bits: best[c] = least score using at most c bits.
    static func dynamicProgram(_ instance: KnapsackInstance) -> Double {
        let capacity = instance.capacity
        var best = [Double](repeating: 0, count: capacity + 1)
        var next = best
        for g in 0..<instance.groupCount {
            for c in 0...capacity {
                var value = Double.infinity
                for j in instance.bits[g].indices where instance.bits[g][j] <= c {
                    value = min(value, best[c - instance.bits[g][j]] + instance.scores[g][j])
                }
                next[c] = value
            }
            swap(&best, &next)
        }
        return best[capacity]
    }

    /// Every prover (automatic, GLPK alone, Pareto DP alone) must reach the expected optimum.
    func assertSolved(_ instance: KnapsackInstance, expected: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        for prover in Prover.allCases {
            try assertSolved(instance, expected: expected, prover: prover, file: file, line: line)
        }
    }

    func assertSolved(_ instance: KnapsackInstance, expected: Double, prover: Prover,
                      file: StaticString, line: UInt) throws {
        let solution = try KnapsackSolver.solve(instance, prover: prover)
        XCTAssertEqual(solution.status, .optimal, file: file, line: line)
        XCTAssertLessThanOrEqual(solution.bits, instance.capacity, file: file, line: line)
        XCTAssertEqual(solution.bits, KnapsackSolver.totalBits(solution.choice, instance), file: file, line: line)
        XCTAssertEqual(solution.objective, expected, accuracy: 1e-9 * max(1, expected), file: file, line: line)
        XCTAssertLessThanOrEqual(solution.lpBound, solution.objective + 1e-9, file: file, line: line)
    }

    func testEqualsBruteForceUpTo12GroupsOf4() throws {
        for seed in UInt64(0)..<60 {
            let groups = 1 + Int(seed % 12), choices = 1 + Int(seed % 4)
            let fill = [0.0, 0.1, 0.35, 0.5, 0.8, 1.0][Int(seed % 6)]
            let instance = Self.randomInstance(groups: groups, choices: choices, maxBits: 12, seed: seed, fill: fill)
            try assertSolved(instance, expected: Self.bruteForce(instance))
        }
        let largest = Self.randomInstance(groups: 12, choices: 4, maxBits: 16, seed: 99, fill: 0.4)
        try assertSolved(largest, expected: Self.bruteForce(largest))
    }

    func testEqualsDynamicProgramUpTo300GroupsOf8() throws {
        for (seed, groups) in [(UInt64(1), 20), (2, 75), (3, 150), (4, 300)] {
            for fill in [0.05, 0.3, 0.62] {
                let instance = Self.randomInstance(groups: groups, choices: 8, maxBits: 24, seed: seed, fill: fill)
                try assertSolved(instance, expected: Self.dynamicProgram(instance))
            }
        }
    }

    func testHandComputedInstance() throws {
        // Two groups; capacity 10. Options: (a0 4b 5.0 | a1 8b 1.0), (b0 2b 3.0 | b1 6b 0.5 | b2 6b 0.9).
        // Feasible: a0+b0 = 8.0 (6b), a0+b1 = 5.5 (10b), a1+b0 = 4.0 (10b). Optimum 4.0 (a1, b0).
        let instance = KnapsackInstance(bits: [[4, 8], [2, 6, 6]], scores: [[5, 1], [3, 0.5, 0.9]], capacity: 10)
        let solution = try KnapsackSolver.solve(instance)
        XCTAssertEqual(solution.choice, [1, 0])
        XCTAssertEqual(solution.objective, 4.0)
        XCTAssertEqual(solution.bits, 10)
        XCTAssertEqual(solution.statistics.nonDominated, 4)  // b2 is dominated by b1
    }

    func testDominanceKeepsStrictImprovementsOnly() {
        // (bits, score): (4, 2), (4, 1), (6, 1), (8, 0.5), (3, 3) -> kept by bits: (3,3), (4,1), (8,0.5).
        let kept = nonDominatedChoices(bits: [4, 4, 6, 8, 3], scores: [2, 1, 1, 0.5, 3])
        XCTAssertEqual(kept, [4, 1, 3])
        // Hull of (0,10), (1,5), (2,4), (3,0): (2,4) lies above segment (1,5)-(3,0) -> dropped.
        XCTAssertEqual(lowerHull(bits: [0, 1, 2, 3], scores: [10, 5, 4, 0], points: [0, 1, 2, 3]), [0, 1, 3])
    }
}

import ArgumentParser
import Foundation
import Search
import Sensitivity
import TestSupport

/// `autoscheme-bench search`: time to proven optimality on seeded synthetic profiles
/// (`SyntheticProfile`: log-normal layer sensitivity x a format curve halving the error per bit).
struct BenchSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Time the plan search on synthetic profiles (layers x 8 formats).")

    @Option(help: "Seed of the synthetic profiles.")
    var seed: UInt64 = 1

    @Option(name: .customLong("avg-bits"), help: "Target average bits of the single solves.")
    var averageBits: Double = 3.5

    @Option(parsing: .upToNextOption, help: "Layer counts of the single solves.")
    var sizes: [Int] = [210, 560, 20_000, 100_000]

    @Option(help: "Sweep on the 210-layer profile (FROM:TO:STEP; 120 budgets by default).")
    var sweep = "2.15:8.1:0.05"

    func run() throws {
        let targets: [Int: Double] = [210: 0.05, 560: 0.1, 20_000: 2, 100_000: 10]
        print("instance          groups  choices  non-dom  fixed-to  to-MIP  status   gap       prep ms  solve ms  target ms")
        for size in sizes {
            let profile = SyntheticProfile.make(layers: size, seed: seed)
            let options = SearchOptions(averageBits: averageBits, sharing: .none)
            let prepStart = ContinuousClock.now
            let problem = try SearchProblem(profile: profile, options: options)
            let prep = milliseconds(ContinuousClock.now - prepStart)
            let solveStart = ContinuousClock.now
            let plan = try PlanSearch.solve(problem, averageBits: averageBits)
            let solve = milliseconds(ContinuousClock.now - solveStart)
            let s = plan.solver.statistics
            let name = "\(size) x 8".padding(toLength: 16, withPad: " ", startingAt: 0)
            print(String(format: "%@  %6d  %7d  %7d  %8d  %6d  %-7@  %.1e  %7.1f  %8.1f  %9@",
                         name as NSString, problem.groups.count, s.choices, s.nonDominated, s.afterFixing,
                         s.groupsSentToMIP, plan.solver.status.rawValue as NSString, plan.solver.gap, prep, solve,
                         (targets[size].map { String(format: "%.0f", $0 * 1000) } ?? "-") as NSString))
        }
        let budgets = try PlanSearch.parseSweep(sweep)
        let profile = SyntheticProfile.make(layers: 210, seed: seed)
        let start = ContinuousClock.now
        let result = try PlanSearch.sweep(profile: profile, options: SearchOptions(averageBits: 0, sharing: .none),
                                          targets: budgets)
        let total = milliseconds(ContinuousClock.now - start)
        let optimal = result.plans.filter { $0.solver.status == .optimal }.count
        print(String(format: "sweep 210 x 8: %d budgets (%d proven optimal) in %.1f ms (target 1000 ms)",
                     budgets.count, optimal, total))
    }

    private func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
    }
}

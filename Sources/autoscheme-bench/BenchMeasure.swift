import Dispatch
import Foundation
import Formats
import Quant
import TensorCore

/// Clocks, seeded inputs and table rows shared by the `bench` subcommands.
enum BenchMeasure {
    /// Wall-clock and CPU (user + system, all threads) seconds of one run.
    struct Timing { var wall: Double; var cpu: Double }

    /// Times `body`. CPU time is the steadier figure on a shared machine.
    static func time(_ body: () throws -> Void) rethrows -> Timing {
        let c0 = cpuSeconds()
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Timing(wall: Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9, cpu: cpuSeconds() - c0)
    }

    /// CPU time of this process so far (user + system, all threads), seconds.
    static func cpuSeconds() -> Double { SignRound.processCPUSeconds() }

    /// Peak resident set size of this process so far (getrusage maxrss, KiB on Linux), in GB (1e9 bytes).
    static func peakRSSGigabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024 / 1e9
    }

    /// `count` token ids uniform in 0..<vocabulary (`rng.next() % vocabulary`), drawn in order from `rng`.
    static func randomTokens(_ count: Int, vocabulary: Int, rng: inout SplitMix64) -> [Int] {
        (0..<count).map { _ in Int(rng.next() % UInt64(vocabulary)) }
    }

    /// A markdown table row: `| a | b | ... |`, each cell padded with spaces (or cut) to its width.
    static func row(_ cells: [String], widths: [Int]) -> String {
        precondition(cells.count == widths.count, "one width per cell")
        return "| " + zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
            .joined(separator: " | ") + " |"
    }
}

import Foundation
import IO

/// One progress report of a profiler stage: `done` of `total` units after `elapsed` seconds.
public struct ProfilerProgress: Sendable, Equatable {
    /// Stage name: `capture`, `probe`, `kl`, `validation`.
    public var stage: String
    public var done: Int
    public var total: Int
    /// Seconds since the stage began.
    public var elapsed: Double
    /// Share of the stage's work done, in (0, 1], when units differ in cost (a replay from block 0
    /// costs more than one from the last block); nil when every unit costs the same.
    public var workDone: Double? = nil

    /// Remaining seconds at the stage's average rate so far (nil before the first unit).
    public var eta: Double? {
        guard done > 0, total >= done else { return nil }
        if let w = workDone, w > 0 { return ProgressClock.eta(elapsed: elapsed, fraction: w) }
        return ProgressClock.eta(elapsed: elapsed, done: done, total: total)
    }

    /// `probe 42/210 (20%) 12.3 s, ETA 49 s`.
    public var line: String {
        let percent = total > 0 ? 100 * done / total : 100
        let eta = self.eta.map { String(format: ", ETA %.0f s", $0) } ?? ""
        return "\(stage) \(done)/\(total) (\(percent)%) \(String(format: "%.1f", elapsed)) s\(eta)"
    }
}

/// Times one stage and forwards progress reports.
struct StageProgress {
    let stage: String
    let total: Int
    let report: ((ProfilerProgress) -> Void)?
    private let clock = ProgressClock()

    init(stage: String, total: Int, report: ((ProfilerProgress) -> Void)?) {
        self.stage = stage
        self.total = total
        self.report = report
    }

    var elapsed: Double { clock.elapsed }

    /// Reports `done` units; `work` is the share of the stage's cost done, when units differ in cost.
    func step(_ done: Int, work: Double? = nil) {
        report?(ProfilerProgress(stage: stage, done: done, total: total, elapsed: elapsed, workDone: work))
    }
}

import Foundation

/// Times the stages of a run and announces each one (`[3/7] search ...`) on the progress channel.
struct StageTimer {
    let progress: (String) -> Void
    private(set) var times: [RunSummary.StageTime] = []

    init(progress: @escaping (String) -> Void) { self.progress = progress }

    /// Runs one stage, recording its wall time.
    mutating func run<T>(_ stage: RunStage, _ body: () throws -> T) throws -> T {
        let index = (RunStage.allCases.firstIndex(of: stage) ?? 0) + 1
        progress("[\(index)/\(RunStage.allCases.count)] \(stage.rawValue)")
        let start = Date()
        let value = try body()
        let seconds = Date().timeIntervalSince(start)
        times.append(.init(stage: stage, seconds: seconds))
        progress(String(format: "[%d/%d] %@ done in %.1f s", index, RunStage.allCases.count, stage.rawValue, seconds))
        return value
    }

    /// Records a stage that ran without announcing its start (so that a failure in it prints only the
    /// error), announcing only its end.
    mutating func record(_ stage: RunStage, since start: Date) {
        let index = (RunStage.allCases.firstIndex(of: stage) ?? 0) + 1
        let seconds = Date().timeIntervalSince(start)
        times.append(.init(stage: stage, seconds: seconds))
        progress(String(format: "[%d/%d] %@ done in %.1f s", index, RunStage.allCases.count, stage.rawValue, seconds))
    }
}

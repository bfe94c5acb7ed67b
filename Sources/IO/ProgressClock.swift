import Foundation

/// Elapsed time and remaining-time estimate (ETA) of one long stage, measured on the monotonic clock.
///
/// The ETA is the time the work left would take at the stage's average rate so far:
/// elapsed x (1 - f) / f for a done share f of the work, which for `done` of `total` equal units is
/// elapsed / done x (total - done).
public struct ProgressClock: Sendable {
    private let start: UInt64

    /// Starts the clock now.
    public init() { start = DispatchTime.now().uptimeNanoseconds }

    /// Seconds since the clock started.
    public var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }

    /// Remaining seconds after `elapsed` seconds with share `fraction` (in (0, 1]) of the work done;
    /// 0 before any work is done.
    public static func eta(elapsed: Double, fraction: Double) -> Double {
        fraction > 0 ? elapsed * (1 - min(fraction, 1)) / fraction : 0
    }

    /// Remaining seconds after `elapsed` seconds with `done` of `total` equal units done; 0 before
    /// the first unit.
    public static func eta(elapsed: Double, done: Int, total: Int) -> Double {
        done > 0 ? elapsed / Double(done) * Double(total - done) : 0
    }

    /// `eta(elapsed:fraction:)` at the current time.
    public func eta(fraction: Double) -> Double { Self.eta(elapsed: elapsed, fraction: fraction) }

    /// `eta(elapsed:done:total:)` at the current time.
    public func eta(done: Int, total: Int) -> Double { Self.eta(elapsed: elapsed, done: done, total: total) }

    /// `12 s elapsed, ETA 34 s` (whole seconds) with share `fraction` of the work done.
    public func elapsedAndETA(fraction: Double) -> String {
        let elapsed = self.elapsed
        return Self.elapsedAndETA(elapsed: elapsed, eta: Self.eta(elapsed: elapsed, fraction: fraction))
    }

    /// `12 s elapsed, ETA 34 s` (whole seconds) with `done` of `total` equal units done.
    public func elapsedAndETA(done: Int, total: Int) -> String {
        let elapsed = self.elapsed
        return Self.elapsedAndETA(elapsed: elapsed, eta: Self.eta(elapsed: elapsed, done: done, total: total))
    }

    static func elapsedAndETA(elapsed: Double, eta: Double) -> String {
        String(format: "%.0f s elapsed, ETA %.0f s", elapsed, eta)
    }
}

/// Where progress lines go: one line per unit of progress (what, how far, ETA).
public enum ProgressOutput {
    /// Writes `prefix + line + terminator` to standard error (unbuffered, so lines appear as they
    /// happen and never mix with results on standard output). `terminator` "\r" redraws one line.
    public static func standardError(_ line: String, prefix: String = "", terminator: String = "\n") {
        FileHandle.standardError.write(Data((prefix + line + terminator).utf8))
    }

    /// A sink that writes each line to standard error after `prefix` (e.g. `autoscheme: `).
    public static func standardErrorLines(prefix: String = "") -> @Sendable (String) -> Void {
        { standardError($0, prefix: prefix) }
    }
}

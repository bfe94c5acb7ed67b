import Foundation
import Model

/// The original model's input Gram matrices of every block, kept between plans applied to the same
/// model with the same calibration windows.
///
/// Without quantized input, the Gram matrices SignRound and RTN need (Hxx per input site) do not
/// depend on the plan, so applying several plans (the benchmark table applies twenty) needs the
/// calibration forwards only once. The first `PlanApplier.run` given the cache fills it block by
/// block; later runs with the same windows and skipped positions read it and run no forward pass.
/// Memory: per block, in^2 Floats per site (13 MB per block of the default model).
/// Thread safety: the mutable state (matrices by block, hit count) is read and written only under
/// `lock`, so one cache may be shared by runs on several threads.
public final class CalibrationGramCache: @unchecked Sendable {
    /// The windows and skipped positions the matrices were computed for.
    public let windows: [[Int]]
    public let skippedPositions: Int
    private let lock = NSLock()
    private var byBlock: [Int: [LinearInputSite: SiteGrams]] = [:]
    private var hitCount = 0

    /// Runs served from the cache without any forward pass.
    public var hits: Int { lock.withLock { hitCount } }

    public init(windows: [[Int]], skippedPositions: Int = 0) {
        self.windows = windows
        self.skippedPositions = skippedPositions
    }

    /// Whether every one of `blocks` blocks is present and the cache was made for these inputs.
    func serves(windows other: [[Int]], skippedPositions skip: Int, blocks: Int) -> Bool {
        guard skip == skippedPositions && other == windows else { return false }
        return lock.withLock { (0..<blocks).allSatisfy { byBlock[$0] != nil } }
    }

    func grams(block: Int) -> [LinearInputSite: SiteGrams]? { lock.withLock { byBlock[block] } }

    func store(block: Int, grams: [LinearInputSite: SiteGrams]) { lock.withLock { byBlock[block] = grams } }

    func countHit() { lock.withLock { hitCount += 1 } }
}

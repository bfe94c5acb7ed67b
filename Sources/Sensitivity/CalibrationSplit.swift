import TensorCore

/// The calibration text cut into windows that never overlap: those that score the layers and those
/// held out to validate the scores.
///
/// The token stream is cut into consecutive non-overlapping windows of `length` tokens from the
/// start (a shorter tail is dropped); the window slots are shuffled by Fisher-Yates with
/// SplitMix64(seed) (`next() % (i + 1)`), the first `calibration` slots score, the next `heldOut`
/// validate. A window is therefore never both.
public struct CalibrationSplit: Sendable, Equatable {
    /// Windows whose activations give the Gram matrices (the probe windows are a prefix of these).
    public let calibration: [[Int]]
    /// Windows kept out of scoring, for validation.
    public let heldOut: [[Int]]
    /// Start offsets (in tokens) of the calibration and held-out windows.
    public let calibrationStarts: [Int]
    public let heldOutStarts: [Int]

    /// - Throws: `ProfilerError.textTooShort` stating the tokens needed: (calibration + heldOut) x length.
    public init(tokens: [Int], calibration: Int, heldOut: Int, length: Int, seed: UInt64, file: String) throws {
        precondition(calibration >= 0 && heldOut >= 0 && length > 0, "window counts must be non-negative, length positive")
        let wanted = calibration + heldOut
        let slots = tokens.count / length
        guard slots >= wanted else {
            throw ProfilerError.textTooShort(file: file, tokens: tokens.count, needed: wanted * length,
                                             windows: wanted, sequenceLength: length)
        }
        var order = Array(0..<slots)
        var rng = SplitMix64(seed: seed)
        for i in stride(from: slots - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        let starts = order.prefix(wanted).map { $0 * length }
        calibrationStarts = Array(starts.prefix(calibration))
        heldOutStarts = Array(starts.dropFirst(calibration))
        self.calibration = calibrationStarts.map { Array(tokens[$0..<($0 + length)]) }
        self.heldOut = heldOutStarts.map { Array(tokens[$0..<($0 + length)]) }
    }
}

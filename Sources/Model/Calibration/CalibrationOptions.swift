import IO
import TensorCore

/// How calibration windows are drawn and what the capture keeps.
///
/// Defaults: 32 windows of 512 tokens (16,384 tokens), AutoRound's 128 x 2048 scaled down to a
/// 135M-parameter model with a 512-token evaluation context; seed 42.
public struct CalibrationOptions: Sendable, Equatable {
    /// Number of windows (samples).
    public var sampleCount: Int = 32
    /// Tokens per window.
    public var sequenceLength: Int = 512
    /// Seed of the window starts (SplitMix64).
    public var seed: UInt64 = 42
    /// Keep each block's input hidden states (samples x L x hidden) in the `BlockCapture`.
    public var keepBlockInputs: Bool = false
    /// Keep the raw inputs of every linear site for the first this-many samples.
    public var rawInputSamples: Int = 0
    /// Samples pushed through a block together (bounds the activation memory of one step).
    public var samplesPerChunk: Int = 8

    public init(sampleCount: Int = 32, sequenceLength: Int = 512, seed: UInt64 = 42,
                keepBlockInputs: Bool = false, rawInputSamples: Int = 0, samplesPerChunk: Int = 8) {
        self.sampleCount = sampleCount
        self.sequenceLength = sequenceLength
        self.seed = seed
        self.keepBlockInputs = keepBlockInputs
        self.rawInputSamples = rawInputSamples
        self.samplesPerChunk = samplesPerChunk
    }
}

/// Random calibration windows of a token stream.
public enum CalibrationWindows {
    /// `count` windows of `length` consecutive tokens; each start is uniform in 0...(n - length),
    /// drawn with SplitMix64(seed) as `next() % (n - length + 1)`. Windows may overlap.
    /// Throws `LlamaError.textTooShort` when the text has fewer than `length` tokens.
    public static func sample(tokens: [Int], count: Int, length: Int, seed: UInt64) throws -> [[Int]] {
        guard length > 0, tokens.count >= length else {
            throw LlamaError.textTooShort(tokens: tokens.count, needed: max(length, 1))
        }
        guard count >= 0, InputLimits.product(count, length, atMost: InputLimits.tokens) != nil else {
            throw LlamaError.unsupportedConfig(field: "calibration windows", value: count,
                                               reason: "windows x \(length) tokens must be at most \(InputLimits.tokens) tokens")
        }
        var rng = SplitMix64(seed: seed)
        let span = UInt64(tokens.count - length + 1)
        return (0..<count).map { _ in
            let start = Int(rng.next() % span)
            return Array(tokens[start..<(start + length)])
        }
    }
}

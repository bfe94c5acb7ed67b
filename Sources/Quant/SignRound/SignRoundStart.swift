/// Where block-wise SignRound's clipping factors start (V always starts at 0).
public enum SignRoundStart: String, Codable, Sendable, CaseIterable {
    /// alpha = beta = 1: plain round-to-nearest (AutoRound's start).
    case rtn
    /// Importance-weighted RTN's clips (`ImportanceWeightedRTN`, importance = each input channel's
    /// energy on the block's quantized-stream inputs).
    case weightedRTN = "weighted-rtn"
}

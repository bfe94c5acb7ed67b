import Model

/// Running sums of block-wise SignRound's parameters over steps, for `BlockKeptIteration.average`.
struct BlockParameterMean {
    private var offsets: [LinearKind: [Float]] = [:], maxClips: [LinearKind: [Float]] = [:], minClips: [LinearKind: [Float]] = [:]
    private var inputNorm: [Float] = [], postAttentionNorm: [Float] = []
    private var count = 0

    /// Adds one step's parameters and, when tuned (else nil, so untuned norms never pass through
    /// Float sums), its norm weights.
    mutating func add(_ params: [LinearKind: SignRoundParameters], norms: ([Float], [Float])?) {
        for (kind, p) in params {
            Self.accumulate(&offsets[kind, default: []], p.offsets)
            Self.accumulate(&maxClips[kind, default: []], p.maxClip)
            Self.accumulate(&minClips[kind, default: []], p.minClip)
        }
        if let norms {
            Self.accumulate(&inputNorm, norms.0)
            Self.accumulate(&postAttentionNorm, norms.1)
        }
        count += 1
    }

    /// The means, as parameters of the same layouts as `like`, and of the norms when they were added
    /// (nil when nothing was added).
    func result(like params: [LinearKind: SignRoundParameters]) -> ([LinearKind: SignRoundParameters], ([Float], [Float])?)? {
        guard count > 0 else { return nil }
        let scale = 1 / Float(count)
        var out = params
        for kind in params.keys {
            out[kind]!.set(offsets: offsets[kind]!.map { $0 * scale }, maxClip: maxClips[kind]!.map { $0 * scale },
                           minClip: minClips[kind]!.map { $0 * scale })
        }
        return (out, inputNorm.isEmpty ? nil : (inputNorm.map { $0 * scale }, postAttentionNorm.map { $0 * scale }))
    }

    private static func accumulate(_ sum: inout [Float], _ values: [Float]) {
        if sum.isEmpty { sum = values; return }
        for i in sum.indices { sum[i] += values[i] }
    }
}

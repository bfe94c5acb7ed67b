import Foundation

/// Next-token distribution statistics over logit rows, with sums in Double.
public enum Divergence {
    /// log Z = max + log(sum_j exp(x_j - max)) of one logit row; exponentials in Float, the sum in
    /// Double (a row of 49,152 terms loses no digits that matter).
    @inlinable
    public static func logPartition(_ row: UnsafeBufferPointer<Float>) -> Double {
        var m = -Float.infinity
        for x in row { m = max(m, x) }
        var sum = 0.0
        for x in row { sum += Double(expf(x - m)) }
        return Double(m) + log(sum)
    }

    /// Negative log-likelihood -log p(target) of one logit row, in nats.
    @inlinable
    public static func negativeLogLikelihood(_ row: UnsafeBufferPointer<Float>, target: Int) -> Double {
        logPartition(row) - Double(row[target])
    }

    /// KL(p || q) = sum_j p_j (log p_j - log q_j) in nats, for p = softmax(reference), q = softmax(other).
    /// Non-negative up to rounding; exactly 0 when both rows are bitwise equal.
    public static func kl(reference p: UnsafeBufferPointer<Float>, other q: UnsafeBufferPointer<Float>) -> Double {
        precondition(p.count == q.count, "KL over rows of different widths")
        let lzp = logPartition(p), lzq = logPartition(q)
        var sum = 0.0
        for j in 0..<p.count {
            let lp = Double(p[j]) - lzp
            sum += exp(lp) * (lp - (Double(q[j]) - lzq))
        }
        return sum
    }

    /// KL(p || q) with p given as log-probabilities (already normalized) and q as logits, in nats.
    /// Terms in Float, summed in Float over runs of 1,024 terms and the runs in Double (the replay's
    /// fast path; exactly 0 when q's log-softmax reproduces p bitwise).
    public static func kl(referenceLogProbs lp: UnsafeBufferPointer<Float>, other q: UnsafeBufferPointer<Float>) -> Double {
        precondition(lp.count == q.count, "KL over rows of different widths")
        let lzq = logPartition(q)
        var sum: Float = 0
        var total = 0.0
        for j in 0..<lp.count {
            let l = lp[j]
            sum += expf(l) * (l - (q[j] - Float(lzq)))
            if j & 1023 == 1023 { total += Double(sum); sum = 0 }
        }
        return total + Double(sum)
    }

    /// Index of the largest value (the lowest index among ties).
    @inlinable
    public static func argmax(_ row: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<row.count where row[i] > row[best] { best = i }
        return best
    }
}

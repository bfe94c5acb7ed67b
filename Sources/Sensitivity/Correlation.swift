/// Correlation coefficients of paired samples, in Double.
public enum Correlation {
    /// Pearson's r = cov(x, y) / (sd(x) sd(y)), with two-pass centred sums.
    /// Returns nil when fewer than 2 points or when either sample is constant (r undefined).
    /// - Precondition: `x.count == y.count`.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "paired samples of different lengths")
        guard x.count >= 2 else { return nil }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Spearman's rho: Pearson's r of the ranks, ties sharing the mean of their ranks (so it stays
    /// exact with ties, unlike 1 - 6 sum d^2 / (n (n^2 - 1))). Returns nil as `pearson` does.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "paired samples of different lengths")
        return pearson(ranks(x), ranks(y))
    }

    /// 1-based ranks in ascending order; tied values get the average of the ranks they span
    /// (e.g. [10, 20, 20, 30] -> [1, 2.5, 2.5, 4]).
    /// - Complexity: O(n log n).
    public static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for k in start...end { result[order[k]] = rank }
            start = end + 1
        }
        return result
    }
}

/// Upper bounds on sizes read from files and options, checked before anything is allocated or
/// multiplied. Each is far above any real model (the largest open models have about 2^40.5
/// parameters, hidden sizes of 2^14 and vocabularies of 2^18), and low enough that sums and products
/// of in-range values cannot overflow a 64-bit integer. Guides/Inputs.md lists them and why.
public enum InputLimits {
    /// Largest single dimension of a tensor or model (hidden size, head size, vocabulary, rows of a
    /// weight): 2^24 = 16,777,216.
    public static let dimension = 1 << 24
    /// Most elements of one tensor: 2^40 (about 1.1 x 10^12).
    public static let tensorElements = 1 << 40
    /// Most parameters of one model (sum over its tensors): 2^48 (about 2.8 x 10^14).
    public static let modelParameters = 1 << 48
    /// Most stored bits per parameter of any format or tensor: 64 (f64); so a model's bits stay below 2^54.
    public static let bitsPerParameter = 64
    /// Most transformer blocks (`num_hidden_layers`, `block_count`): 2^16.
    public static let blocks = 1 << 16
    /// Most linear layers in a profile or plan: 2^22.
    public static let layers = 1 << 22
    /// Largest score (predicted loss, nats/token) of one layer in one format: 10^30, so that sums
    /// over 2^22 layers stay finite (a model's loss never comes near it).
    public static let score = 1e30
    /// Most tokens of one calibration or evaluation run (windows x tokens per window): 2^28 (about
    /// 268 million, 1 GiB of token ids).
    public static let tokens = 1 << 28

    /// `a * b` when it does not overflow and is at most `limit`; nil otherwise.
    public static func product(_ a: Int, _ b: Int, atMost limit: Int) -> Int? {
        guard a >= 0, b >= 0 else { return nil }
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow || p > limit ? nil : p
    }

    /// The product of `values` when no step overflows and the result is at most `limit`; nil otherwise.
    public static func product(_ values: [Int], atMost limit: Int) -> Int? {
        var total = 1
        for v in values {
            guard let p = product(total, v, atMost: limit) else { return nil }
            total = p
        }
        return total
    }

    /// `a + b` when it does not overflow and is at most `limit`; nil otherwise.
    public static func sum(_ a: Int, _ b: Int, atMost limit: Int) -> Int? {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow || s > limit ? nil : s
    }
}

/// Which weights share one scale.
///
/// Weights are `out x in` (rows x columns); groups and blocks run along the input dimension, as in
/// AutoRound/GPTQ and the OCP MX and NVFP4 layouts.
public enum Granularity: Hashable, Codable, Sendable {
    /// One scale for the whole tensor.
    case perTensor
    /// One scale per output row.
    case perChannel
    /// One scale per run of `n` consecutive weights of a row (along the input dimension).
    case group(Int)
    /// One scale per `rows x cols` tile (e.g. FP8's 128 x 128 blocks).
    case block(rows: Int, cols: Int)

    /// Number of scales for a tensor of `shape`, counting a partial group or block at an edge as a whole one.
    public func scaleCount(_ shape: TensorShape) -> Int {
        switch self {
        case .perTensor: return 1
        case .perChannel: return shape.rows
        case let .group(n): return shape.rows * ceilDiv(shape.cols, n)
        case let .block(r, c): return ceilDiv(shape.rows, r) * ceilDiv(shape.cols, c)
        }
    }
}

/// The shape of a weight matrix: `rows` = output features, `cols` = input features.
public struct TensorShape: Hashable, Codable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var cols: Int
    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "tensor dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
    }
    /// Number of weights.
    public var count: Int { rows * cols }
    public var description: String { "\(rows) x \(cols)" }
}

/// ceil(a / b) for non-negative a and positive b.
@inlinable public func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }

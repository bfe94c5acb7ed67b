import Formats

extension QuantFormat {
    /// How this format handles a weight of `shape` that its groups or blocks do not tile exactly,
    /// or nil when they do. The text names the dimension, the block and what the quantizer does
    /// (from the traits table's `padding`), e.g. for `int4/g128` on 576 inputs: "576 inputs are not a
    /// multiple of the group 128: rows end in a partial group of 64 (rows padded ...)".
    public func tilingFallback(shape: TensorShape) -> String? {
        switch granularity {
        case .perTensor, .perChannel:
            return nil
        case let .group(n):
            let rest = shape.cols % n
            guard rest != 0 else { return nil }
            return "\(shape.cols) inputs are not a multiple of the group \(n): rows end in a partial group of \(rest) (\(traits.padding))"
        case let .block(r, c):
            let restRows = shape.rows % r, restCols = shape.cols % c
            guard restRows != 0 || restCols != 0 else { return nil }
            return "\(shape.rows) x \(shape.cols) is not a multiple of the \(r) x \(c) block: edge blocks of \(restRows == 0 ? r : restRows) x \(restCols == 0 ? c : restCols) (\(traits.padding))"
        }
    }
}

/// A dense, row-major matrix of `Float` (IEEE-754 binary32).
///
/// Element (r, c) lives at `data[r * cols + c]`. Linear-layer weights follow the Hugging Face
/// convention: `rows` = output features, `cols` = input features, so y = x W^T.
public struct Matrix: Sendable, Equatable {
    /// Number of rows (for a weight: output features).
    public let rows: Int
    /// Number of columns (for a weight: input features).
    public let cols: Int
    /// Row-major storage, `rows * cols` elements; `data` is its checked face.
    @usableFromInline var storage: [Float]

    /// Row-major storage, always `rows * cols` elements. Elements may be changed in place (stores,
    /// `withUnsafeMutableBufferPointer`, `replaceSubrange` of equal length) without a copy; an
    /// assignment or in-place change that leaves another element count traps (a programmer error:
    /// `rows` and `cols` are fixed). - Complexity: O(1) per access; the count check is one compare.
    @inlinable
    public var data: [Float] {
        get { storage }
        set {
            precondition(newValue.count == rows * cols, "Matrix storage set to \(newValue.count) elements, expected \(rows) x \(cols)")
            storage = newValue
        }
        _modify {
            yield &storage
            precondition(storage.count == rows * cols, "Matrix storage changed to \(storage.count) elements, expected \(rows) x \(cols)")
        }
    }

    /// A matrix over existing storage. - Precondition: `data.count == rows * cols`.
    public init(rows: Int, cols: Int, data: [Float]) {
        precondition(rows >= 0 && cols >= 0 && data.count == rows * cols,
                     "Matrix storage holds \(data.count) elements, expected \(rows) x \(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = data
    }

    /// A matrix filled with `value` (zeros by default).
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        self.init(rows: rows, cols: cols, data: [Float](repeating: value, count: rows * cols))
    }

    /// Number of elements.
    public var count: Int { rows * cols }

    /// Element access. - Complexity: O(1); bounds are checked by the array.
    @inlinable
    public subscript(row: Int, col: Int) -> Float {
        get {
            assert(row >= 0 && row < rows && col >= 0 && col < cols, "Matrix index (\(row), \(col)) outside \(rows) x \(cols)")
            return storage[row * cols + col]
        }
        set {
            assert(row >= 0 && row < rows && col >= 0 && col < cols, "Matrix index (\(row), \(col)) outside \(rows) x \(cols)")
            storage[row * cols + col] = newValue
        }
    }

    /// Copy of row `r` as an array.
    public func row(_ r: Int) -> [Float] {
        Array(data[(r * cols)..<((r + 1) * cols)])
    }

    /// The transpose (a new matrix of `cols` x `rows`).
    public func transposed() -> Matrix {
        var out = Matrix(rows: cols, cols: rows)
        data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    for c in 0..<cols { dst[c * rows + r] = src[r * cols + c] }
                }
            }
        }
        return out
    }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, cols: cols, data: Array(data[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// Sum of squares of all elements, accumulated in Double.
    public var squaredNorm: Double {
        var s = 0.0
        for v in data { s += Double(v) * Double(v) }
        return s
    }
}

/// Views of memory that the tasks of one `parallelFor` share.
///
/// `parallelFor` takes a `@Sendable` body, so a task may only capture values that are safe to share.
/// Raw pointers are not: these wrappers are, by the contract every parallel loop here keeps — the
/// memory outlives the loop, and no two tasks write the same element (each writes its own rows,
/// chunks or slots; reads of memory nobody writes during the loop are free). Index checks are
/// `assert`s: on in debug builds, compiled out of release builds.

/// A pointer to elements shared by the tasks of a parallel loop (see the contract above).
/// Arithmetic and subscripts read as on the pointer itself, so a kernel can shadow its pointer
/// parameter with the shared view and keep its body.
public struct SharedPointer<Element>: @unchecked Sendable {
    /// The first element.
    public let base: UnsafeMutablePointer<Element>

    public init(_ base: UnsafeMutablePointer<Element>) { self.base = base }

    /// A view of memory the loop only reads.
    public init(_ base: UnsafePointer<Element>) { self.base = UnsafeMutablePointer(mutating: base) }

    /// The element at `offset` (read or written in place).
    @inlinable
    public subscript(offset: Int) -> Element {
        get { base[offset] }
        nonmutating set { base[offset] = newValue }
    }

    /// The pointer `offset` elements on.
    @inlinable
    public static func + (shared: SharedPointer, offset: Int) -> UnsafeMutablePointer<Element> { shared.base + offset }
}

/// A buffer shared by the tasks of a parallel loop (see the contract above), with its element
/// count, so subscripts are range-checked in debug builds. May be empty.
public struct SharedBuffer<Element>: @unchecked Sendable {
    public let buffer: UnsafeMutableBufferPointer<Element>

    public init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }

    /// A view of memory the loop only reads.
    public init(_ buffer: UnsafeBufferPointer<Element>) { self.buffer = UnsafeMutableBufferPointer(mutating: buffer) }

    /// Number of elements.
    public var count: Int { buffer.count }

    /// The first element. - Precondition: the buffer is not empty.
    public var base: UnsafeMutablePointer<Element> { buffer.baseAddress! }

    /// The buffer, for code that reads it.
    public var readOnly: UnsafeBufferPointer<Element> { UnsafeBufferPointer(buffer) }

    /// Element `i` (read or written in place). - Precondition (debug builds): 0 <= i < count.
    @inlinable
    public subscript(i: Int) -> Element {
        get {
            assert(i >= 0 && i < buffer.count, "index \(i) outside 0..<\(buffer.count)")
            return buffer[i]
        }
        nonmutating set {
            assert(i >= 0 && i < buffer.count, "index \(i) outside 0..<\(buffer.count)")
            buffer[i] = newValue
        }
    }

    /// The pointer `offset` elements on. - Precondition (debug builds): 0 <= offset <= count.
    @inlinable
    public static func + (shared: SharedBuffer, offset: Int) -> UnsafeMutablePointer<Element> {
        assert(offset >= 0 && offset <= shared.buffer.count, "offset \(offset) outside 0...\(shared.buffer.count)")
        return shared.buffer.baseAddress! + offset
    }
}

/// A strided row-major view of a matrix of `Float`: row r starts `stride` elements after row r - 1
/// and holds `cols` elements (`stride >= cols`, so a view may be a column slice of wider rows).
/// Shared by the tasks of a parallel loop under the contract above, typically one row or chunk of
/// rows per task.
public struct StridedRows: @unchecked Sendable {
    /// Element (0, 0).
    public let base: UnsafeMutablePointer<Float>
    public let rows: Int
    public let cols: Int
    /// Elements from the start of one row to the start of the next.
    public let stride: Int

    /// `rows` x `cols` elements at `base`, rows `stride` apart (default `cols`: contiguous).
    public init(_ base: UnsafeMutablePointer<Float>, rows: Int, cols: Int, stride: Int? = nil) {
        assert(rows >= 0 && cols >= 0 && (stride ?? cols) >= cols, "StridedRows \(rows) x \(cols), stride \(stride ?? cols)")
        self.base = base
        self.rows = rows
        self.cols = cols
        self.stride = stride ?? cols
    }

    /// A view of memory the loop only reads.
    public init(_ base: UnsafePointer<Float>, rows: Int, cols: Int, stride: Int? = nil) {
        self.init(UnsafeMutablePointer(mutating: base), rows: rows, cols: cols, stride: stride)
    }

    /// A contiguous buffer of exactly `rows * cols` elements.
    public init(_ buffer: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
        assert(buffer.count == rows * cols, "buffer of \(buffer.count) elements viewed as \(rows) x \(cols)")
        self.init(buffer.baseAddress!, rows: rows, cols: cols)
    }

    /// A contiguous buffer the loop only reads, of exactly `rows * cols` elements.
    public init(_ buffer: UnsafeBufferPointer<Float>, rows: Int, cols: Int) {
        assert(buffer.count == rows * cols, "buffer of \(buffer.count) elements viewed as \(rows) x \(cols)")
        self.init(buffer.baseAddress!, rows: rows, cols: cols)
    }

    /// The first element of row `r`. - Precondition (debug builds): 0 <= r < rows.
    @inlinable
    public func row(_ r: Int) -> UnsafeMutablePointer<Float> {
        assert(r >= 0 && r < rows, "row \(r) outside 0..<\(rows)")
        return base + r * stride
    }

    /// Element (r, c). - Precondition (debug builds): inside the view.
    @inlinable
    public subscript(r: Int, c: Int) -> Float {
        get {
            assert(r >= 0 && r < rows && c >= 0 && c < cols, "element (\(r), \(c)) outside \(rows) x \(cols)")
            return base[r * stride + c]
        }
        nonmutating set {
            assert(r >= 0 && r < rows && c >= 0 && c < cols, "element (\(r), \(c)) outside \(rows) x \(cols)")
            base[r * stride + c] = newValue
        }
    }
}

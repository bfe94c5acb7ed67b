import COpenBLAS

/// Matrix products through OpenBLAS `cblas_sgemm` (row-major). All heavy dense math goes here.
public enum BLAS {
    /// Whether an operand is used as stored or transposed.
    public enum Transpose: Sendable {
        case none, transposed
        @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// C = alpha * op(A) * op(B) + beta * C over raw row-major buffers.
    ///
    /// op(A) is m x k, op(B) is k x n, C is m x n; `lda`, `ldb`, `ldc` are row strides of the stored
    /// matrices. - Complexity: 2 m n k floating-point operations.
    @inlinable
    public static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        assert(m >= 0 && n >= 0 && k >= 0, "gemm dimensions \(m) x \(n) x \(k)")
        assert(lda >= max(1, transA == .none ? k : m) && ldb >= max(1, transB == .none ? n : k) && ldc >= max(1, n),
               "gemm row strides lda \(lda), ldb \(ldb), ldc \(ldc) shorter than rows of \(m) x \(n) x \(k)")
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// op(A) * op(B) as a new matrix.
    public static func matmul(_ a: Matrix, _ transA: Transpose,
                              _ b: Matrix, _ transB: Transpose) -> Matrix {
        let m = transA == .none ? a.rows : a.cols
        let k = transA == .none ? a.cols : a.rows
        let kb = transB == .none ? b.rows : b.cols
        let n = transB == .none ? b.cols : b.rows
        precondition(k == kb, "matmul inner dimensions differ: \(k) vs \(kb)")
        var c = Matrix(rows: m, cols: n)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    gemm(transA, transB, m: m, n: n, k: k, a: pa.baseAddress!, lda: a.cols,
                         b: pb.baseAddress!, ldb: b.cols, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }

    /// A * B as a new matrix.
    public static func matmul(_ a: Matrix, _ b: Matrix) -> Matrix { matmul(a, .none, b, .none) }

    /// x W^T: the output of a linear layer with weight W (out x in) on inputs x (tokens x in).
    public static func linear(_ x: Matrix, _ weight: Matrix) -> Matrix {
        matmul(x, .none, weight, .transposed)
    }

    /// C += alpha * A^T A (a symmetric rank-k update; only the result is full, both triangles set).
    ///
    /// Used for input Gram matrices H = X^T X. - Complexity: n^2 k flops for A of k x n.
    public static func accumulateGram(_ a: UnsafePointer<Float>, rows k: Int, cols n: Int,
                                      into c: inout Matrix, alpha: Float = 1) {
        accumulateGramUpper(a, rows: k, cols: n, into: &c, alpha: alpha)
        mirrorUpperTriangle(&c)
    }

    /// C += alpha * A^T A on the upper triangle only (the strict lower triangle is left as it was).
    ///
    /// For Gram matrices summed over many row blocks: accumulate every block with this, then call
    /// `mirrorUpperTriangle` once. `lda` is A's row stride (>= n, default n), so a block may be a
    /// column-contiguous slice of wider rows. - Complexity: n^2 k flops for A of k x n.
    public static func accumulateGramUpper(_ a: UnsafePointer<Float>, rows k: Int, cols n: Int, lda: Int? = nil,
                                           into c: inout Matrix, alpha: Float = 1) {
        precondition(c.rows == n && c.cols == n, "Gram accumulator must be \(n) x \(n)")
        assert(k >= 0 && (lda ?? n) >= n, "Gram input \(k) x \(n) with row stride \(lda ?? n)")
        if k == 0 || n == 0 { return }
        c.data.withUnsafeMutableBufferPointer { pc in
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(lda ?? n),
                        1, pc.baseAddress!, Int32(n))
        }
    }

    /// Copies the upper triangle of a square matrix onto its strict lower triangle (c[i][j] = c[j][i]
    /// for j < i), in 64 x 64 tiles so both the rows read and the rows written stay in cache.
    /// - Complexity: n^2 / 2 copies.
    public static func mirrorUpperTriangle(_ c: inout Matrix) {
        precondition(c.rows == c.cols, "mirrorUpperTriangle needs a square matrix, got \(c.rows) x \(c.cols)")
        let n = c.rows, tile = 64
        c.data.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            for i0 in Swift.stride(from: 0, to: n, by: tile) {
                for j0 in Swift.stride(from: 0, through: i0, by: tile) {
                    for i in i0..<min(n, i0 + tile) {
                        let row = base + i * n
                        for j in j0..<min(i, j0 + tile) { row[j] = base[j * n + i] }
                    }
                }
            }
        }
    }

    /// Number of threads OpenBLAS uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel set OpenBLAS runs (e.g. `Haswell`, `SkylakeX`, `Cooperlake`): chosen once when the
    /// library loads, from the environment variable `OPENBLAS_CORETYPE` if set, else from the CPU.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    // OpenBLAS's thread count is process-wide; the one place that changes it is `parallelFor`'s
    // `blasThreadsPerTask`.
}

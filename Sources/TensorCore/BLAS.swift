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
        precondition(c.rows == n && c.cols == n, "Gram accumulator must be \(n) x \(n)")
        c.data.withUnsafeMutableBufferPointer { pc in
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(n),
                        1, pc.baseAddress!, Int32(n))
            for i in 0..<n { for j in 0..<i { pc[i * n + j] = pc[j * n + i] } }
        }
    }

    /// Number of threads OpenBLAS uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses (at least 1).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
}
